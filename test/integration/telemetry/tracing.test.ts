import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkflowEngine } from "../../../src/engine/workflow-engine.js";
import type { PlanInput } from "../../../src/model/plan-schema.js";
import { startTracing, type TracingHandle } from "../../../src/telemetry/tracing-sdk.js";
import { type ApiFixture, startApiFixture } from "../../fixtures/api-server.js";
import { makeTempDir } from "../../fixtures/context.js";
import { type OtlpReceiver, type ReceivedSpan, spanTree, startOtlpReceiver } from "../../fixtures/otlp-receiver.js";

const SECRET = "s3cr3t-token-value-0042";
let receiver: OtlpReceiver;
let tracing: TracingHandle | undefined;
let api: ApiFixture;
let ws: { dir: string; cleanup: () => Promise<void> };
let env: Record<string, string>;

beforeAll(async () => {
  [receiver, api, ws] = await Promise.all([startOtlpReceiver(), startApiFixture(), makeTempDir("wf-tracing-")]);
  env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: "engine-under-test", API_TOKEN: SECRET };
  tracing = await startTracing(env);
});
afterAll(async () => {
  await tracing?.shutdown();
  await Promise.all([receiver.close(), api.close(), ws.cleanup()]);
});

function engine(options: Partial<ConstructorParameters<typeof WorkflowEngine>[0]> = {}): WorkflowEngine {
  return new WorkflowEngine({ workspace: ws.dir, planner: "rules", advisor: null, env, persist: "memory", ...options });
}

const inTrace = (spans: readonly ReceivedSpan[], root: ReceivedSpan) => spans.filter((s) => s.traceId === root.traceId);
const label = (s: ReceivedSpan) =>
  [
    s.name,
    s.attributes["task.id"],
    s.attributes["task.attempt"] && `#${s.attributes["task.attempt"]}`,
    s.attributes["task.status"],
    s.attributes["error.code"],
  ]
    .filter(Boolean)
    .join(" ");

describe("tracing (OTLP/HTTP to a receiver in the test)", () => {
  it("a run is one trace: planning, one span per attempt (a retry, a skip), run events, traceparent on api_call, no secret", async () => {
    const runId = `trace-${Date.now()}`;
    const p: PlanInput = {
      goal: `fetch the users with ${SECRET}`,
      tasks: [
        {
          id: "fetch",
          action_type: "api_call",
          action_config: { url: `${api.url}/flaky/${runId}?fail=1` },
          retry: { max_attempts: 3, backoff_ms: 0 },
        },
        { id: "bad", action_type: "api_call", action_config: { url: `${api.url}/fail/400` }, on_failure: "skip" },
        { id: "after_bad", action_type: "wait", action_config: { ms: 0 }, dependencies: ["bad"] },
        { id: "pause", action_type: "wait", action_config: { ms: 10 }, dependencies: ["fetch"] },
      ],
    };
    const e = engine();
    const result = await e.run(p, { runId });
    await e.close();
    expect(result.status).toBe("completed_with_errors");
    await tracing?.flush();
    const spans = await receiver.until((all) => all.some((s) => s.name === "workflow.run" && s.attributes["workflow.run_id"] === runId));
    const root = spans.find((s) => s.name === "workflow.run" && s.attributes["workflow.run_id"] === runId) as ReceivedSpan;
    const trace = inTrace(spans, root);
    expect(spanTree(trace, root, label).split("\n")).toHaveLength(6);

    expect(root).toMatchObject({ parentSpanId: "", service: "engine-under-test" });
    expect(root.attributes).toMatchObject({
      "workflow.status": "completed_with_errors",
      "workflow.planner": "provided",
      "workflow.tasks": 4,
    });
    expect(root.attributes["workflow.goal_hash"]).toMatch(/^[0-9a-f]{16}$/);
    const children = trace.filter((s) => s.parentSpanId === root.spanId);
    expect(children.map(label).sort()).toEqual(
      [
        "workflow.plan",
        "task api_call fetch #1 failed HTTP_STATUS",
        "task api_call fetch #2 completed",
        "task api_call bad #1 failed HTTP_STATUS",
        "task wait pause #1 completed",
      ].sort(),
    );
    const events = root.events.map((ev) => `${ev.name} ${ev.attributes["task.id"] ?? ""}`.trim());
    expect(events).toEqual(expect.arrayContaining(["plan.ready", "task.retry fetch", "task.skipped bad", "task.skipped after_bad"]));
    expect(root.events.find((ev) => ev.name === "task.retry")?.attributes["retry.delay_ms"]).toBeTypeOf("number");

    // Each request of an attempt carries that attempt's span as its parent.
    const fetches = api.requests.filter((r) => r.path.startsWith(`/flaky/${runId}`));
    const attemptSpans = children.filter((s) => s.attributes["task.id"] === "fetch").map((s) => `00-${s.traceId}-${s.spanId}-01`);
    expect(fetches.map((r) => r.headers.traceparent).sort()).toEqual(attemptSpans.sort());

    expect(JSON.stringify(trace)).not.toContain(SECRET);
    expect(root.attributes["workflow.goal"]).toContain("[redacted]");
  });

  it("a run continued later (approval, resume) is a new trace that links to its first one", async () => {
    const runId = `trace-link-${Date.now()}`;
    const e = engine({ approve: "ask" });
    try {
      const p: PlanInput = {
        tasks: [{ id: "post", action_type: "api_call", action_config: { method: "POST", url: `${api.url}/items`, body: { a: 1 } } }],
      };
      expect((await e.run(p, { runId })).status).toBe("awaiting_approval");
      expect((await e.decide(runId, { approve: true, by: "test" })).status).toBe("completed");
    } finally {
      await e.close();
    }
    await tracing?.flush();
    const isRoot = (s: ReceivedSpan) => s.name === "workflow.run" && s.attributes["workflow.run_id"] === runId;
    const spans = await receiver.until((all) => all.filter(isRoot).length === 2);
    const [continued, original] = spans
      .filter(isRoot)
      .sort((a, b) => String(a.attributes["workflow.detail"]).localeCompare(String(b.attributes["workflow.detail"])));
    expect(original?.attributes).toMatchObject({ "workflow.detail": "run", "workflow.status": "awaiting_approval" });
    expect(continued?.attributes).toMatchObject({ "workflow.detail": "approved", "workflow.status": "completed" });
    expect(continued?.traceId).not.toBe(original?.traceId);
    expect(continued?.links).toEqual([{ traceId: original?.traceId, spanId: original?.spanId }]);
    expect(original?.events.map((ev) => ev.name)).toContain("approval.requested");
    expect(inTrace(spans, continued as ReceivedSpan).map(label)).toContain("task api_call post #1 completed");
  });
});
