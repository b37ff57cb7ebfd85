import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall } from "../../../src/actions/api-call/run.js";
import type { ApiCallConfig, ApiCallResult } from "../../../src/model/action-config/api-call.js";
import { isTruthy } from "../../../src/actions/api-call/poll.js";
import { runAction } from "../../../src/actions/registry.js";
import type { ActionContext } from "../../../src/actions/types.js";
import { WorkflowEngine } from "../../../src/engine/workflow-engine.js";
import type { WorkflowError } from "../../../src/model/errors.js";
import type { PlanInput } from "../../../src/model/plan-schema.js";
import { validatePlan } from "../../../src/plan/validate.js";
import { type ApiFixture, startApiFixture } from "../../fixtures/api-server.js";
import { makeContext, makeTempDir } from "../../fixtures/context.js";
import { failure } from "../../fixtures/errors.js";

const DONE = "data.state = 'done'";

let api: ApiFixture;
beforeAll(async () => {
  api = await startApiFixture();
});
afterAll(async () => {
  await api.close();
});

function call(config: Record<string, unknown>, ctx: ActionContext = makeContext()): Promise<ApiCallResult> {
  return apiCall.run(apiCall.schema.parse(config) as ApiCallConfig, ctx);
}

/** Create a fixture job that answers "running" `polls` times, then "done"; returns its status URL. */
async function createJob(polls: number): Promise<string> {
  const created = await call({ method: "POST", url: `${api.url}/jobs`, body: { polls } });
  return `${api.url}/jobs/${(created.data as { id: string }).id}`;
}

/** Server-side arrival times (ms) of the GETs of one job. */
function pollTimes(jobUrl: string): number[] {
  const path = new URL(jobUrl).pathname;
  return api.requests.filter((r) => r.method === "GET" && r.path === path).map((r) => r.at);
}

describe("api_call with until (polling)", () => {
  it("polls until the condition holds and returns the last response with polls", async () => {
    const url = await createJob(3);
    const result = await call({ url, until: DONE, interval: 0.02 });
    expect(result).toMatchObject({
      status: 200,
      polls: 4,
      data: { state: "done", polls: 4, result: { rows: 42 } },
    });
    expect(result.headers["content-type"]).toBe("application/json");
    expect(pollTimes(url)).toHaveLength(4);
  });

  it("returns after one request when the condition already holds, and adds no polls without until", async () => {
    const url = await createJob(0);
    expect(await call({ url, until: "status = 200" })).toMatchObject({ polls: 1, data: { state: "done" } });
    expect(await call({ url })).not.toHaveProperty("polls");
  });

  it("waits at least `interval` between polls (server-side timestamps)", async () => {
    const url = await createJob(3);
    await call({ url, until: DONE, interval: 0.15 });
    const times = pollTimes(url);
    expect(times).toHaveLength(4);
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    // Node timers have 1 ms granularity, so allow that much.
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(149);
  });

  it("fails with POLL_DEADLINE, naming the URL, condition, polls and last status", async () => {
    const url = await createJob(1000);
    const started = performance.now();
    const err = await failure(call({ url, until: DONE, interval: 0.05, deadline: 0.3 }));
    const elapsed = performance.now() - started;
    const polls = pollTimes(url).length;
    expect(err).toMatchObject({ code: "POLL_DEADLINE", retryable: false });
    expect(err.details).toMatchObject({ url, until: DONE, polls, last_status: 200, deadline_s: 0.3 });
    expect(polls).toBeGreaterThanOrEqual(3);
    expect(err.message).toContain(`GET ${url}`);
    expect(err.message).toContain(`until "${DONE}"`);
    expect(err.message).toContain(`after ${polls} polls`);
    expect(err.message).toContain("last response was status 200");
    expect(err.message).toContain('"state":"running"');
    expect(err.message).toContain("Raise `deadline`");
    expect(err.message).toContain("check that the condition");
    // It gives up when the next poll would start after the deadline, not after sleeping past it.
    expect(elapsed).toBeLessThan(300 + 200);
  });

  it("stops at once with CANCELLED when cancelled between polls", async () => {
    const url = await createJob(1000);
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(), 150);
    const err = await failure(call({ url, until: DONE, interval: 10 }, makeContext({ signal: controller.signal })));
    expect(err.code).toBe("CANCELLED");
    expect(err.message).toContain(`GET ${url}: polling was cancelled after 1 poll`);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(pollTimes(url)).toHaveLength(1);
  });

  it("lets until accept a 4xx; 4xx it does not accept, 429 and 5xx throw as without until", async () => {
    const missing = await call({ url: `${api.url}/users/99`, until: "status = 404" });
    expect(missing).toMatchObject({ status: 404, polls: 1, data: { error: "no user 99" } });

    const unavailable = await failure(call({ url: `${api.url}/fail/503`, until: "status = 503" }));
    expect(unavailable).toMatchObject({ code: "HTTP_STATUS", retryable: true, details: expect.objectContaining({ status: 503 }) });

    const before = api.requests.length;
    const bad = await failure(call({ url: `${api.url}/fail/400`, until: "status = 200", interval: 0.01 }));
    expect(bad).toMatchObject({ code: "HTTP_STATUS", retryable: false });
    expect(bad.message).toContain("answered 400");
    expect(api.requests.length - before).toBe(1);
  });

  it("reports a condition that fails to evaluate as TRANSFORM_ERROR naming it", async () => {
    const url = await createJob(5);
    const until = "$number(data.state) > 1";
    const err = await failure(call({ url, until }));
    expect(err).toMatchObject({ code: "TRANSFORM_ERROR", retryable: false });
    expect(err.message).toContain(`GET ${url}: the condition until "${until}" could not be evaluated`);
  });

  it("gives each poll of a POST its own Idempotency-Key", async () => {
    const ctx = makeContext({ runId: "r1", taskId: "t1", attempt: 2 });
    const before = api.requests.length;
    // /items echoes the body, so the condition never holds and polling runs until the deadline.
    const config = { method: "POST", url: `${api.url}/items`, body: { n: 1 }, until: "data.received.n = 2" };
    const err = await failure(call({ ...config, interval: 0.02, deadline: 0.2 }, ctx));
    const keys = api.requests.slice(before).map((r) => r.headers["idempotency-key"]);
    expect(keys.length).toBeGreaterThanOrEqual(2);
    expect(keys).toEqual(keys.map((_, i) => `r1:t1:2.${i + 1}`));
    expect(err.details).toMatchObject({ polls: keys.length });
  });
});

describe("api_call polling config", () => {
  it("rejects an until that is not JSONata, naming the field and the parse error", async () => {
    const parsed = apiCall.schema.safeParse({ url: `${api.url}/status`, until: "data.state = " });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]).toMatchObject({ path: ["until"] });
    expect(parsed.error?.issues[0]?.message).toContain("until is not a valid JSONata expression");

    const err = await failure(runAction("api_call", { url: `${api.url}/status`, until: "(((" }, makeContext()));
    expect(err).toMatchObject({ code: "ACTION_CONFIG_INVALID", retryable: false });
    expect(err.message).toContain("until: until is not a valid JSONata expression");
  });

  it("rejects interval below 0.01, and interval or deadline without until", () => {
    const url = `${api.url}/status`;
    const issues = (config: Record<string, unknown>) => apiCall.schema.safeParse({ url, ...config }).error?.issues ?? [];
    expect(issues({ until: DONE, interval: 0.001 })[0]?.path).toEqual(["interval"]);
    expect(issues({ until: DONE, deadline: 0 })[0]?.path).toEqual(["deadline"]);
    expect(issues({ interval: 1 })[0]).toMatchObject({ path: ["interval"], message: expect.stringContaining("add until") });
    expect(issues({ deadline: 5 })[0]).toMatchObject({ path: ["deadline"] });
    expect(issues({ until: DONE, interval: 0.01, deadline: 60 })).toEqual([]);
  });

  it("validates a plan using until, interval and deadline (with references)", () => {
    const plan = validatePlan(pollPlan("http://127.0.0.1:1"));
    const poll = plan.tasks.find((t) => t.id === "wait_job");
    expect(poll?.dependencies).toEqual(["create_job"]);
    expect(poll?.action_config).toMatchObject({ until: "data.state = '{{wanted_state}}'", interval: "{{poll_every}}", deadline: 30 });
  });

  it("rejects a plan whose until is not JSONata with PLAN_INVALID at the field", () => {
    const bad = pollPlan("http://127.0.0.1:1");
    const task = bad.tasks[1];
    if (task) task.action_config = { ...task.action_config, until: "data.state = = 'done'" };
    let err: unknown;
    try {
      validatePlan(bad);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: "PLAN_INVALID" });
    expect((err as WorkflowError).message).toContain("tasks[1].action_config.until: until is not a valid JSONata expression");
  });
});

describe("polling through the engine", () => {
  it("runs a create-then-poll plan with templated url, until and interval", async () => {
    const { dir, cleanup } = await makeTempDir("wf-poll-");
    const engine = new WorkflowEngine({ workspace: dir, planner: "rules", advisor: null, env: {} });
    try {
      const result = await engine.run(pollPlan(api.url), { variables: { wanted_state: "done", poll_every: 0.02 } });
      expect(result.status).toBe("completed");
      const poll = result.tasks.find((t) => t.id === "wait_job");
      expect(poll?.result).toMatchObject({ status: 200, polls: 3, data: { state: "done", result: { rows: 42 } } });
    } finally {
      await engine.close();
      await cleanup();
    }
  });
});

describe("isTruthy", () => {
  it("follows JSONata's $boolean", () => {
    for (const v of [true, 1, "x", [0, 1], { a: 1 }]) expect(isTruthy(v)).toBe(true);
    for (const v of [false, 0, "", [], [0, ""], {}, null, undefined, () => 1]) expect(isTruthy(v)).toBe(false);
  });
});

function pollPlan(base: string): PlanInput & { tasks: { action_config: Record<string, unknown> }[] } {
  return {
    tasks: [
      { id: "create_job", action_type: "api_call", action_config: { method: "POST", url: `${base}/jobs`, body: { polls: 2 } } },
      {
        id: "wait_job",
        action_type: "api_call",
        action_config: {
          url: `${base}/jobs/{{create_job.data.id}}`,
          until: "data.state = '{{wanted_state}}'",
          interval: "{{poll_every}}",
          deadline: 30,
        },
      },
    ],
    variables: { wanted_state: "done", poll_every: 0.5 },
  };
}
