import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkflowEngine } from "../../../src/engine/workflow-engine.js";
import type { PlanInput } from "../../../src/model/plan-schema.js";
import { type ApiFixture, startApiFixture } from "../../fixtures/api-server.js";
import { makeTempDir } from "../../fixtures/context.js";
import { eventually } from "../../fixtures/queue.js";
import { parseMetrics, sample } from "../../fixtures/prometheus.js";
import { call, readEvents, startTestServer, type TestServer } from "../../fixtures/test-server.js";

let server: TestServer;
let api: ApiFixture;
let ws: { dir: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  [api, ws] = await Promise.all([startApiFixture(), makeTempDir("wf-metrics-")]);
  server = await startTestServer({ workspace: ws.dir, planner: "rules", advisor: null, env: {} }, { rateLimitPerMinute: 0 });
});
afterAll(async () => {
  await server.close();
  await Promise.all([api.close(), ws.cleanup()]);
});

async function metrics(): Promise<ReturnType<typeof parseMetrics>> {
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain");
  return parseMetrics(await res.text());
}

describe("GET /metrics on serve", () => {
  it("counts a known run: attempts by type and outcome, durations, a retry, a skip, refusals by guard, lease conflicts", async () => {
    const p: PlanInput = {
      tasks: [
        {
          id: "fetch",
          action_type: "api_call",
          action_config: { url: `${api.url}/flaky/metrics?fail=1` },
          retry: { max_attempts: 3, backoff_ms: 0 },
        },
        { id: "mk", action_type: "transform_data", action_config: { input: "ftp://example.com/file", expression: "$" } },
        // A URL built at run time: the network guard refuses the scheme when the attempt runs.
        { id: "odd", action_type: "api_call", action_config: { url: "{{mk.data}}" }, dependencies: ["mk"], on_failure: "skip" },
      ],
    };
    expect((await call(`${server.url}/runs`, "POST", { plan: p, run_id: "m-1" })).status).toBe(202);
    const events = await readEvents(`${server.url}/runs/m-1/events`);
    expect(events.at(-1)?.data.status).toBe("completed_with_errors");
    // A plan whose literal URL a guard refuses: refused before it runs (preflight).
    const refused = await call(`${server.url}/runs`, "POST", {
      plan: { tasks: [{ id: "x", action_type: "api_call", action_config: { url: "file:///etc/passwd" } }] },
      run_id: "m-2",
    });
    expect(refused.body.error.code).toBe("PLAN_REFUSED");
    // Another process drives a run: deleting it here is a lease conflict.
    const other = new WorkflowEngine({ workspace: ws.dir, advisor: null, env: {} });
    const held = other.run({ tasks: [{ id: "hold", action_type: "wait", action_config: { ms: 60_000 } }] }, { runId: "m-held" });
    try {
      await eventually(async () => (await other.runRecord("m-held")) !== undefined);
      expect((await call(`${server.url}/runs/m-held`, "DELETE")).body.error.code).toBe("RUN_BUSY");
    } finally {
      await other.cancel("m-held");
      await held.catch(() => undefined);
      await other.close();
    }

    const m = await metrics();
    expect(sample(m, "workflow_runs_started_total")).toBe(1);
    expect(sample(m, "workflow_runs_finished_total", { status: "completed_with_errors" })).toBe(1);
    expect(sample(m, "workflow_task_attempts_total", { action_type: "api_call", outcome: "completed", code: "" })).toBe(1);
    expect(sample(m, "workflow_task_attempts_total", { action_type: "api_call", outcome: "failed", code: "HTTP_STATUS" })).toBe(1);
    expect(sample(m, "workflow_task_attempts_total", { action_type: "api_call", outcome: "failed", code: "NETWORK_REFUSED" })).toBe(1);
    expect(sample(m, "workflow_task_attempts_total", { action_type: "transform_data", outcome: "completed", code: "" })).toBe(1);
    expect(sample(m, "workflow_task_duration_seconds_count", { action_type: "api_call", outcome: "failed" })).toBe(2);
    expect(sample(m, "workflow_task_duration_seconds_bucket", { action_type: "transform_data", outcome: "completed", le: "+Inf" })).toBe(1);
    expect(sample(m, "workflow_task_retries_total")).toBe(1);
    expect(sample(m, "workflow_tasks_skipped_total")).toBe(1);
    expect(sample(m, "workflow_refusals_total", { guard: "network", code: "NETWORK_REFUSED", stage: "attempt" })).toBe(1);
    expect(sample(m, "workflow_refusals_total", { guard: "network", code: "NETWORK_REFUSED", stage: "preflight" })).toBe(1);
    expect(sample(m, "workflow_lease_conflicts_total", { code: "RUN_BUSY" })).toBe(1);
    expect(sample(m, "workflow_llm_calls_total")).toBe(0);
    expect(sample(m, "workflow_plan_cache_hits_total")).toBe(0);
    expect(sample(m, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
    // In process: no queues to count.
    expect(m.filter((s) => s.name === "workflow_queue_jobs")).toEqual([]);
  });
});
