import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { WorkflowEvent } from "../../../src/model/events.js";
import type { TaskReport, WorkflowResult } from "../../../src/engine/result.js";
import { WorkflowEngine } from "../../../src/engine/workflow-engine.js";
import { ErrorCode } from "../../../src/model/errors.js";
import type { PlanInput, TaskSpecInput } from "../../../src/model/plan-schema.js";
import { type ApiFixture, startApiFixture } from "../../fixtures/api-server.js";
import { makeTempDir } from "../../fixtures/context.js";

const FAST_RETRY = { max_attempts: 3, backoff_ms: 5, max_backoff_ms: 50 };

let api: ApiFixture;
let ws: string;
let cleanup: () => Promise<void>;
let engine: WorkflowEngine;

beforeAll(async () => {
  api = await startApiFixture();
});
afterAll(async () => {
  await api.close();
});
beforeEach(async () => {
  ({ dir: ws, cleanup } = await makeTempDir("wf-failures-"));
  engine = new WorkflowEngine({ workspace: ws, planner: "rules", advisor: null, env: {} });
});
afterEach(async () => {
  await engine.close();
  await cleanup();
});

/** A fresh key so the fixture's per-key counters start at zero. */
const key = () => randomUUID().slice(0, 8);

function get(id: string, urlPath: string, extra: Partial<TaskSpecInput> = {}): TaskSpecInput {
  return { id, action_type: "api_call", action_config: { method: "GET", url: `${api.url}${urlPath}` }, ...extra };
}

function byId(result: WorkflowResult, id: string): TaskReport {
  const t = result.tasks.find((x) => x.id === id);
  expect(t, `task ${id}`).toBeDefined();
  return t as TaskReport;
}

async function run(plan: PlanInput): Promise<{ result: WorkflowResult; events: WorkflowEvent[] }> {
  const events: WorkflowEvent[] = [];
  const result = await engine.run(plan, { onEvent: (e) => events.push(e) });
  return { result, events };
}

function requestsTo(prefix: string): number {
  return api.requests.filter((r) => r.path.startsWith(prefix)).length;
}

describe("retry", () => {
  it("retries a 503 from /flaky twice and completes on the third attempt", async () => {
    const k = key();
    const { result, events } = await run({ tasks: [get("flaky", `/flaky/${k}?fail=2`, { retry: FAST_RETRY })] });

    expect(result.status).toBe("completed");
    const task = byId(result, "flaky");
    expect(task).toMatchObject({ status: "completed", attempts: 3, result: { status: 200, data: { ok: true, attempts: 3 } } });
    expect(task.error).toBeUndefined();
    expect(api.hits.get(`flaky:${k}`)).toBe(3);
    expect(events.filter((e) => e.type === "task_failed").map((e) => [e.attempt, e.error?.code, e.error?.retryable])).toEqual([
      [1, "HTTP_STATUS", true],
      [2, "HTTP_STATUS", true],
    ]);
    const retries = events.filter((e) => e.type === "task_retry");
    expect(retries.map((e) => e.attempt)).toEqual([1, 2]);
    for (const r of retries) {
      expect(r.delay_ms).toBeGreaterThanOrEqual(5);
      expect(r.delay_ms).toBeLessThanOrEqual(50);
    }
    expect(events.filter((e) => e.type === "task_started").map((e) => e.attempt)).toEqual([1, 2, 3]);
    expect(result.metrics).toMatchObject({ retries: 2, tasks_completed: 1, tasks_failed: 0 });
  });

  it("gives up when /flaky fails more often than max_attempts allows", async () => {
    const k = key();
    const { result } = await run({ tasks: [get("flaky", `/flaky/${k}?fail=5`, { retry: { ...FAST_RETRY, max_attempts: 2 } })] });
    expect(result.status).toBe("failed");
    expect(byId(result, "flaky")).toMatchObject({ status: "failed", attempts: 2, error: { code: "HTTP_STATUS", retryable: true } });
    expect(byId(result, "flaky").error?.message).toContain("answered 503");
    expect(api.hits.get(`flaky:${k}`)).toBe(2);
  });

  it("honours Retry-After from /ratelimited: the retry starts at least 1000 ms later", async () => {
    const k = key();
    const { result, events } = await run({ tasks: [get("limited", `/ratelimited/${k}`, { retry: FAST_RETRY })] });

    expect(result.status).toBe("completed");
    expect(byId(result, "limited")).toMatchObject({
      status: "completed",
      attempts: 2,
      result: { status: 200, data: { ok: true, attempts: 2 } },
    });
    const failed = events.find((e) => e.type === "task_failed");
    expect(failed?.error).toMatchObject({ code: "HTTP_STATUS", retryable: true, retry_after_ms: 1000 });
    const retry = events.find((e) => e.type === "task_retry");
    expect(retry?.delay_ms).toBe(1000); // the backoff (5-10 ms) is raised to the server's Retry-After

    const state = await engine.getState(result.workflow_id);
    const history = state?.history ?? [];
    const failedAt = history.find((h) => h.event === "task_failed" && h.attempt === 1)?.at;
    const secondStart = history.find((h) => h.event === "task_started" && h.attempt === 2)?.at;
    expect(failedAt).toBeDefined();
    expect(secondStart).toBeDefined();
    expect(Date.parse(secondStart as string) - Date.parse(failedAt as string)).toBeGreaterThanOrEqual(1000);
    expect(history.find((h) => h.event === "task_retry")?.detail).toMatch(/^in 1000 ms: retryable HTTP_STATUS, attempt 1 of 3$/);
  });
});

describe("permanent failures", () => {
  it("/fail/404 fails at once: one attempt, HTTP_STATUS, not retryable, and the run is failed", async () => {
    const before = requestsTo("/fail/404");
    const { result, events } = await run({
      tasks: [
        get("missing", "/fail/404", { retry: FAST_RETRY }),
        {
          id: "save",
          action_type: "file_operation",
          action_config: { operation: "write", path: "out/m.json", content: "{{missing.data}}" },
        },
      ],
    });

    expect(result.status).toBe("failed");
    expect(result.error).toMatchObject({ code: ErrorCode.HttpStatus, retryable: false });
    expect(result.error?.message).toBe(
      `GET ${api.url}/fail/404 answered 404 Not Found: {"error":"failing with 404 on purpose"}. Check the URL, method, parameters and body; retrying the same request will not help.`,
    );
    expect(byId(result, "missing")).toMatchObject({
      status: "failed",
      attempts: 1,
      error: { code: "HTTP_STATUS", retryable: false, details: { status: 404 } },
    });
    expect(byId(result, "save")).toMatchObject({ status: "skipped", attempts: 0 });
    expect(requestsTo("/fail/404") - before).toBe(1);
    expect(events.filter((e) => e.type === "task_retry")).toEqual([]);
    expect(events.filter((e) => e.type === "task_started" && e.task_id === "missing")).toHaveLength(1);
    expect(existsSync(path.join(ws, "out/m.json"))).toBe(false);
  });

  it("with on_failure skip, the dependents are skipped naming the task and the run is completed_with_errors", async () => {
    const { result, events } = await run({
      tasks: [
        get("optional", "/fail/404", { on_failure: "skip" }),
        { id: "shape", action_type: "transform_data", action_config: { input: "{{optional.data}}", expression: "$" } },
        { id: "save", action_type: "file_operation", action_config: { operation: "write", path: "out/s.json", content: "{{shape.data}}" } },
        get("status", "/status"),
      ],
    });

    expect(result.status).toBe("completed_with_errors");
    expect(result.error).toBeUndefined();
    expect(byId(result, "optional")).toMatchObject({ status: "skipped", attempts: 1, error: { code: "HTTP_STATUS" } });
    expect(byId(result, "shape")).toMatchObject({ status: "skipped", attempts: 0, skip_reason: 'dependency "optional" was skipped' });
    expect(byId(result, "save")).toMatchObject({ status: "skipped", attempts: 0, skip_reason: 'dependency "optional" was skipped' });
    expect(byId(result, "status")).toMatchObject({ status: "completed", result: { data: { state: "ok" } } });
    expect(
      events
        .filter((e) => e.type === "task_skipped")
        .map((e) => e.task_id)
        .sort(),
    ).toEqual(["optional", "save", "shape"]);
    expect(result.metrics).toMatchObject({ tasks_total: 4, tasks_completed: 1, tasks_skipped: 3, tasks_failed: 0 });
    expect(existsSync(path.join(ws, "out/s.json"))).toBe(false);
  });

  it("with on_failure {modify: {url}}, a 404 task is patched once and completes", async () => {
    const good = `${api.url}/users/3`;
    const { result, events } = await run({
      tasks: [
        get("user", "/fail/404", { on_failure: { modify: { url: good } } }),
        { id: "name", action_type: "transform_data", action_config: { input: "{{user.data}}", expression: "name" } },
      ],
    });

    expect(result.status).toBe("completed");
    expect(byId(result, "user")).toMatchObject({
      status: "completed",
      attempts: 2,
      action_config: { method: "GET", url: good },
      result: { status: 200, data: { id: 3, name: "Chloe" } },
    });
    expect(byId(result, "user").error).toBeUndefined();
    expect(byId(result, "name").result).toEqual({ data: "Chloe" });
    expect(events.filter((e) => e.type === "task_modified").map((e) => e.task_id)).toEqual(["user"]);
    expect(api.requests.filter((r) => r.path === "/users/3")).toHaveLength(1);
    expect(result.metrics.retries).toBe(1);
  });

  it("a modify patch that does not help fails the task after the one patched attempt", async () => {
    const { result } = await run({ tasks: [get("user", "/fail/404", { on_failure: { modify: { url: `${api.url}/fail/410` } } })] });
    expect(result.status).toBe("failed");
    expect(byId(result, "user")).toMatchObject({ status: "failed", attempts: 2, error: { code: "HTTP_STATUS", details: { status: 410 } } });
  });

  it("a run told to fail cancels the other tasks in flight well before they would end", async () => {
    const before = requestsTo("/delay");
    const { result, events } = await run({
      tasks: [
        get("slow_a", "/delay?ms=5000"),
        get("slow_b", "/delay?ms=5000"),
        // Starts after the slow requests are on the wire, then fails the run.
        { id: "gate", action_type: "wait", action_config: { ms: 200 } },
        get("broken", "/fail/400", { on_failure: "fail", dependencies: ["gate"] }),
        { id: "never", action_type: "wait", action_config: { ms: 1 }, dependencies: ["slow_a"] },
      ],
    });

    expect(result.status).toBe("failed");
    expect(result.error).toMatchObject({ code: "HTTP_STATUS", details: { status: 400 } });
    expect(requestsTo("/delay") - before).toBe(2);
    for (const id of ["slow_a", "slow_b"]) {
      expect(byId(result, id)).toMatchObject({ status: "failed", attempts: 1, error: { code: ErrorCode.Cancelled } });
      expect(byId(result, id).error?.message).toBe('cancelled: workflow failed: task "broken" failed');
    }
    expect(byId(result, "never")).toMatchObject({ status: "skipped", attempts: 0, skip_reason: 'workflow failed: task "broken" failed' });
    const started = events.find((e) => e.type === "run_started");
    const ended = events.find((e) => e.type === "run_completed");
    expect(ended).toMatchObject({ status: "failed" });
    expect(Date.parse(ended?.at ?? "") - Date.parse(started?.at ?? "")).toBeLessThan(2_500);
    expect(result.metrics.wall_ms).toBeLessThan(2_500);
    expect(events.some((e) => e.type === "task_completed" && e.task_id?.startsWith("slow"))).toBe(false);
  });
});
