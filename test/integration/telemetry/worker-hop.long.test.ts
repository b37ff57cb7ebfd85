import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkflowEngine } from "../../../src/engine/workflow-engine.js";
import type { PlanInput } from "../../../src/model/plan-schema.js";
import { startTracing, type TracingHandle } from "../../../src/telemetry/tracing-sdk.js";
import { type ApiFixture, startApiFixture } from "../../fixtures/api-server.js";
import { makeTempDir } from "../../fixtures/context.js";
import { type OtlpReceiver, type ReceivedSpan, spanTree, startOtlpReceiver } from "../../fixtures/otlp-receiver.js";
import { parseMetrics, sample } from "../../fixtures/prometheus.js";
import { queuePrefix, REDIS_URL } from "../../fixtures/queue.js";
import { startWorker, stopWorkers, type WorkerProcess } from "../../fixtures/worker-process.js";

const { prefix, cleanup } = queuePrefix("otel");
let receiver: OtlpReceiver;
let tracing: TracingHandle | undefined;
let api: ApiFixture;
let ws: { dir: string; cleanup: () => Promise<void> };
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  [receiver, api, ws] = await Promise.all([startOtlpReceiver(), startApiFixture(), makeTempDir("wf-otel-hop-")]);
  tracing = await startTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: "coordinator" });
  const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
  // Two workers, one per queue: the run's trace crosses both.
  workers.push(
    await startWorker(REDIS_URL, prefix, ["--actions", "api_call", "--metrics-port", "0"], otel),
    await startWorker(REDIS_URL, prefix, ["--actions", "wait"], otel),
  );
});
afterAll(async () => {
  await stopWorkers(workers);
  await tracing?.shutdown();
  await Promise.all([receiver.close(), api.close(), ws.cleanup(), cleanup()]);
});

const label = (s: ReceivedSpan) =>
  `${s.name} [${s.service}] ${s.attributes["task.id"] ?? ""} ${s.attributes["task.attempt"] ? `#${s.attributes["task.attempt"]}` : ""} ${s.attributes["task.status"] ?? ""} ${s.attributes["error.code"] ?? ""}`
    .replace(/\s+/g, " ")
    .trim();

describe("a run on queue workers (two worker processes)", () => {
  it("is one trace: each worker's span continues its attempt's span, api_call sends the worker's span; workers serve /metrics", async () => {
    const runId = `hop-${Date.now()}`;
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
    const engine = new WorkflowEngine({
      workspace: ws.dir,
      planner: "rules",
      advisor: null,
      env,
      persist: "memory",
      executor: "queue",
      redisUrl: REDIS_URL,
      redisPrefix: prefix,
    });
    const p: PlanInput = {
      tasks: [
        {
          id: "fetch",
          action_type: "api_call",
          action_config: { url: `${api.url}/flaky/${runId}?fail=1` },
          retry: { max_attempts: 2, backoff_ms: 0 },
        },
        { id: "pause", action_type: "wait", action_config: { ms: 5 }, dependencies: ["fetch"] },
      ],
    };
    const result = await engine.run(p, { runId }).finally(() => engine.close());
    expect(result.status).toBe("completed");

    const metricsUrl = workers[0]?.child.lines.find((l) => l.includes(": metrics at "))?.split(": metrics at ")[1];
    const m = parseMetrics(await (await fetch(String(metricsUrl))).text());
    expect(sample(m, "workflow_worker_jobs_total", { action_type: "api_call", outcome: "completed", code: "" })).toBe(1);
    expect(sample(m, "workflow_worker_jobs_total", { action_type: "api_call", outcome: "failed", code: "HTTP_STATUS" })).toBe(1);
    expect(sample(m, "workflow_worker_job_duration_seconds_count", { action_type: "api_call", outcome: "completed" })).toBe(1);
    expect(sample(m, "workflow_worker_active_jobs")).toBe(0);
    expect(sample(m, "workflow_queue_workers", { queue: "tasks-api_call", action_type: "api_call" })).toBe(1);
    expect(sample(m, "workflow_queue_jobs", { queue: "tasks-api_call", action_type: "api_call", state: "completed" })).toBe(2);

    // The workers export their spans as they stop (and in batches before).
    await stopWorkers(workers.splice(0));
    await tracing?.flush();
    const spans = await receiver.until(
      (all) => all.filter((s) => s.service === "workflow-worker").length === 3 && all.some((s) => s.name === "workflow.run"),
    );
    const root = spans.find((s) => s.name === "workflow.run" && s.attributes["workflow.run_id"] === runId) as ReceivedSpan;
    const trace = spans.filter((s) => s.traceId === root.traceId);
    expect(spanTree(trace, root, label).split("\n")).toEqual([
      "workflow.run [coordinator]",
      "  workflow.plan [coordinator]",
      "  task api_call [coordinator] fetch #1 failed HTTP_STATUS",
      "    worker api_call [workflow-worker] fetch #1 failed HTTP_STATUS",
      "  task api_call [coordinator] fetch #2 completed",
      "    worker api_call [workflow-worker] fetch #2 completed",
      "  task wait [coordinator] pause #1 completed",
      "    worker wait [workflow-worker] pause #1 completed",
    ]);
    const workerSpans = trace.filter((s) => s.service === "workflow-worker" && s.attributes["task.id"] === "fetch");
    const sent = api.requests.filter((r) => r.path.startsWith(`/flaky/${runId}`)).map((r) => r.headers.traceparent);
    expect(sent.sort()).toEqual(workerSpans.map((s) => `00-${s.traceId}-${s.spanId}-01`).sort());
    expect(workerSpans.every((s) => s.kind === 5 && s.attributes["messaging.system"] === "bullmq")).toBe(true);
  });
});

describe("without the OTEL variables", () => {
  it("a run loads nothing of the OpenTelemetry SDK (it does with them)", async () => {
    const { runCli } = await import("../../fixtures/cli.js");
    const loader = path.resolve(import.meta.dirname, "../../fixtures/module-log.mjs");
    const loaded = async (extra: Record<string, string>, name: string) => {
      const log = path.join(ws.dir, `${name}.log`);
      const planFile = path.join(ws.dir, "plan.json");
      await import("node:fs/promises").then((fs) =>
        fs.writeFile(planFile, JSON.stringify({ tasks: [{ id: "w", action_type: "wait", action_config: { ms: 1 } }] })),
      );
      const run = await runCli(["--plan", planFile, "--workspace", ws.dir], {
        env: { NODE_OPTIONS: `--import ${loader}`, MODULE_LOG: log, ...extra },
      });
      expect(run.code).toBe(0);
      return (await readFile(log, "utf8"))
        .split("\n")
        .filter((u) => /@opentelemetry\/(sdk-trace|exporter-trace-otlp-http|resources)\//.test(u));
    };
    expect(await loaded({}, "off")).toEqual([]);
    expect((await loaded({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }, "on")).length).toBeGreaterThan(0);
  });
});
