import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { request } from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_CUSTOMERS, startDemoApi } from "../../../src/demo/demo-api.js";
import { makeTempDir } from "../../fixtures/context.js";
import { plan, waitTask } from "../../fixtures/plans.js";
import { call, readEvents, startTestServer, type TestServer } from "../../fixtures/test-server.js";

let server: TestServer;
/** A server whose runs ask before a mutating task (approve: "ask"). */
let asking: TestServer;
let ws: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  ws = await makeTempDir("wf-server-");
  server = await startTestServer({ workspace: ws.dir }, { rateLimitPerMinute: 0 });
  asking = await startTestServer({ workspace: ws.dir, approve: "ask" }, { rateLimitPerMinute: 0 });
});
afterAll(async () => {
  await server.close();
  await asking.close();
  await ws.cleanup();
});

/** Follow a run's events to its end (the stream ends after run_completed). */
async function finished(runId: string, on: TestServer = server) {
  const events = await readEvents(`${on.url}/runs/${runId}/events`);
  expect(events.at(-1)?.event).toBe("run_completed");
  return (await call(`${on.url}/runs/${runId}`)).body;
}

describe("the HTTP API", () => {
  it("starts a run from a goal (202), streams its events live, and shows it in the --json shape with its attempts", async () => {
    const started = await call(`${server.url}/runs`, "POST", { goal: "Create output/hello.txt with 'Hello'", run_id: "api-goal-1" });
    expect(started.status).toBe(202);
    expect(started.body).toEqual({ run_id: "api-goal-1", status: "running" });
    expect(started.headers.get("location")).toBe("/runs/api-goal-1");
    const events = await readEvents(`${server.url}/runs/api-goal-1/events`);
    expect(events.map((e) => e.event)).toEqual(["run_started", "plan_ready", "task_started", "task_completed", "run_completed"]);
    // Ids increase, so a client can continue after any of them.
    const ids = events.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const run = (await call(`${server.url}/runs/api-goal-1`)).body;
    expect(run).toMatchObject({ workflow_id: "api-goal-1", status: "completed", goal: "Create output/hello.txt with 'Hello'" });
    expect(run.tasks.map((t: { status: string }) => t.status)).toEqual(["completed"]);
    expect(run.metrics.tasks_completed).toBe(1);
    expect(run.attempts).toEqual([expect.objectContaining({ task_id: run.tasks[0].id, attempt: 1, outcome: "completed" })]);
    expect(run.record.duration_ms).toBeGreaterThanOrEqual(0);
    expect(await readFile(path.join(ws.dir, "output/hello.txt"), "utf8")).toBe("Hello");
    // EventSource reconnects when a stream ends; with every event in hand it is told 204: stop.
    const done = await fetch(`${server.url}/runs/api-goal-1/events`, { headers: { "last-event-id": events.at(-1)?.id as string } });
    expect(done.status).toBe(204);
    // From the middle, an ended run's stream gives the rest at once.
    const rest = await readEvents(`${server.url}/runs/api-goal-1/events`, { lastEventId: events[2]?.id as string });
    expect(rest.map((e) => e.event)).toEqual(["task_completed", "run_completed"]);
  });

  it("runs a plan, lists runs newest first with a status filter and paging, and deletes one", async () => {
    for (const id of ["page-a", "page-b", "page-c"]) {
      expect((await call(`${server.url}/runs`, "POST", { plan: plan(waitTask("w")), run_id: id })).status).toBe(202);
      await finished(id);
    }
    const first = await call(`${server.url}/runs?limit=2&status=completed`);
    expect(first.status).toBe(200);
    expect(first.body.runs).toHaveLength(2);
    const second = await call(`${server.url}/runs?limit=2&status=completed&cursor=${first.body.next_cursor}`);
    const seen = [...first.body.runs, ...second.body.runs].map((r: { run_id: string }) => r.run_id);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.indexOf("page-c")).toBeLessThan(seen.indexOf("page-a"));
    expect((await call(`${server.url}/runs/page-a`, "DELETE")).status).toBe(204);
    expect((await call(`${server.url}/runs/page-a`)).body.error.code).toBe("RUN_NOT_FOUND");
  });

  it("pauses a run for approval, and approving it over HTTP continues it", async () => {
    const body = {
      run_id: "api-approve",
      plan: plan(waitTask("read"), {
        id: "save",
        action_type: "file_operation",
        action_config: { operation: "write", path: "out/approved.txt", content: "yes" },
        dependencies: ["read"],
      }),
    };
    expect((await call(`${asking.url}/runs`, "POST", body)).status).toBe(202);
    const paused = await pollStatus(asking, "api-approve", "awaiting_approval");
    expect(paused.approval.tasks.map((t: { id: string }) => t.id)).toEqual(["save"]);
    const approved = await call(`${asking.url}/runs/api-approve/approve`, "POST", { by: "tester" });
    expect(approved.status).toBe(202);
    const run = await finished("api-approve", asking);
    expect(run.status).toBe("completed");
    expect(await readFile(path.join(ws.dir, "out/approved.txt"), "utf8")).toBe("yes");
    // Approving again: nothing waits any more.
    const again = await call(`${asking.url}/runs/api-approve/approve`, "POST", {});
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("NOT_AWAITING_APPROVAL");
  });

  it("rejects a paused run's task: it and its dependents are skipped", async () => {
    const body = {
      run_id: "api-reject",
      plan: plan({
        id: "save",
        action_type: "file_operation",
        action_config: { operation: "write", path: "out/rejected.txt", content: "no" },
      }),
    };
    await call(`${asking.url}/runs`, "POST", body);
    await pollStatus(asking, "api-reject", "awaiting_approval");
    expect((await call(`${asking.url}/runs/api-reject/reject`, "POST", { reason: "not today" })).status).toBe(202);
    const run = await finished("api-reject", asking);
    expect(run.tasks[0]).toMatchObject({ status: "skipped" });
    expect(run.tasks[0].skip_reason).toContain("not today");
  });

  it("cancels a running run: its task is aborted and the run fails with CANCELLED", async () => {
    await call(`${server.url}/runs`, "POST", {
      run_id: "api-cancel",
      plan: plan(waitTask("long", 60_000), waitTask("after", 0, ["long"])),
    });
    const cancelled = await call(`${server.url}/runs/api-cancel/cancel`, "POST", { reason: "changed my mind" });
    expect(cancelled.status).toBe(202);
    expect(cancelled.body).toEqual({ run_id: "api-cancel", status: "cancelled" });
    const run = await finished("api-cancel");
    expect(run.status).toBe("failed");
    expect(run.tasks.map((t: { id: string; status: string }) => `${t.id}:${t.status}`)).toEqual(["long:failed", "after:skipped"]);
    expect(run.tasks[0].error.code).toBe("CANCELLED");
  });

  it("runs a prebuilt workflow against the API its inputs name", async () => {
    const demo = await startDemoApi();
    const host = new URL(demo.url).host;
    const trusting = await startTestServer({ workspace: ws.dir, allowHosts: [host] }, { rateLimitPerMinute: 0 });
    try {
      const started = await call(`${trusting.url}/runs`, "POST", {
        workflow: "api_orchestration",
        inputs: { source: demo.url },
        run_id: "api-wf",
      });
      expect(started.status).toBe(202);
      const run = await finished("api-wf", trusting);
      expect(run.status).toBe("completed");
      expect(run.tasks.map((t: { id: string }) => t.id)).toEqual(expect.arrayContaining(["login", "customers", "orders"]));
      const missing = await call(`${trusting.url}/runs`, "POST", { workflow: "api_orchestration" });
      expect([missing.status, missing.body.error.code]).toEqual([400, "INPUT_INVALID"]);
      expect(missing.body.error.message).toContain("inputs.source");
      // Any library workflow, with the inputs it declares (checked by it), and a version if wanted.
      const byInputs = await call(`${trusting.url}/runs`, "POST", {
        workflow: "api_orchestration@1.0.0",
        inputs: { base_url: demo.url, credentials: { username: "demo", password: "demo" }, output_path: "output/by-inputs.json" },
        run_id: "api-wf-inputs",
      });
      expect(byInputs.status, JSON.stringify(byInputs.body)).toBe(202);
      const done = await finished("api-wf-inputs", trusting);
      expect(done).toMatchObject({ status: "completed", workflow: "api_orchestration@1.0.0" });
      expect(done.outputs.customers).toHaveLength(DEMO_CUSTOMERS.length);
      const library = await call(`${trusting.url}/workflows`);
      expect(library.body.workflows.map((w: { name: string }) => w.name)).toEqual(["api_orchestration", "data_pipeline", "job_execution"]);
      expect((await call(`${trusting.url}/workflows/job_execution@1.0.0`)).body.inputs).toHaveProperty("api_url");
      expect((await call(`${trusting.url}/workflows/nope`)).status).toBe(404);
    } finally {
      await trusting.close();
      await demo.close();
    }
  });

  it("rolls back a finished run (dry run first): the file it wrote is removed", async () => {
    const write = { id: "w", action_type: "file_operation", action_config: { operation: "write", path: "out/rb.txt", content: "x" } };
    await call(`${server.url}/runs`, "POST", { run_id: "api-rb", plan: { tasks: [write] } });
    const ran = await readEvents(`${server.url}/runs/api-rb/events`);
    const dry = await call(`${server.url}/runs/api-rb/rollback`, "POST", { dry_run: true });
    expect(dry.status).toBe(200);
    expect(dry.body.undo).toEqual([
      { task_id: "w", action_type: "file_operation", action_config: { operation: "delete", path: "out/rb.txt" }, after: [] },
    ]);
    expect((await call(`${server.url}/runs/api-rb/rollback`, "POST")).status).toBe(202);
    // The run's events go on after its first end: a client continues from the last one it has.
    const events = await readEvents(`${server.url}/runs/api-rb/events`, { lastEventId: ran.at(-1)?.id as string });
    expect(events.map((e) => e.event)).toEqual(["run_started", "rollback_started", "task_started", "task_completed", "run_completed"]);
    expect(events.at(-1)?.data.status).toBe("rolled_back");
    expect((await call(`${server.url}/runs/api-rb`)).body.status).toBe("rolled_back");
    expect(existsSync(path.join(ws.dir, "out/rb.txt"))).toBe(false);
    const again = await call(`${server.url}/runs/api-rb/rollback`, "POST");
    expect([again.status, again.body.error.code]).toEqual([409, "RUN_FINISHED"]);
  });

  it("plans without running (POST /plan) and draws a run's graph as mermaid, dot or nodes and edges", async () => {
    const dry = await call(`${server.url}/plan`, "POST", { goal: "Create output/dry.txt with 'x'" });
    expect(dry.status).toBe(200);
    expect(dry.body.plan.tasks).toHaveLength(1);
    expect(dry.body.nodes[0]).toMatchObject({ action_type: "file_operation" });
    expect(dry.body.graph.mermaid).toContain("flowchart TD");
    expect((await call(`${server.url}/runs?limit=500`)).body.runs.some((r: { goal?: string }) => r.goal?.includes("dry.txt"))).toBe(false);
    await call(`${server.url}/runs`, "POST", { run_id: "api-graph", plan: plan(waitTask("a"), waitTask("b", 0, ["a"])) });
    await finished("api-graph");
    const json = await call(`${server.url}/runs/api-graph/graph`);
    expect(json.body.edges).toEqual([{ from: "a", to: "b" }]);
    expect(json.body.nodes.map((n: { status: string }) => n.status)).toEqual(["completed", "completed"]);
    const dot = await call(`${server.url}/runs/api-graph/graph?format=dot`);
    expect(dot.headers.get("content-type")).toContain("graphviz");
    expect(dot.body).toContain('"a" -> "b"');
  });

  it("serves the OpenAPI document and its health", async () => {
    const doc = (await call(`${server.url}/openapi.json`)).body;
    expect(doc.openapi).toMatch(/^3\./);
    for (const p of ["/runs", "/runs/{id}", "/runs/{id}/events", "/runs/{id}/approve", "/runs/{id}/cancel", "/plan"])
      expect(doc.paths).toHaveProperty(p);
    expect(doc.paths["/runs"].post.requestBody).toBeDefined();
    expect((await call(`${server.url}/healthz`)).body).toMatchObject({ status: "ok", persistence: "sqlite" });
  });
});

describe("the API's errors: {error: {code, message}} with a fitting status", () => {
  it.each([
    ["a body with two sources", { goal: "x", plan: { tasks: [] } }, 400, "INPUT_INVALID", "give exactly one of goal, plan or workflow"],
    ["an unknown field", { goal: "x", shell: "rm -rf /" }, 400, "INPUT_INVALID", 'unknown field "shell"'],
    ["a bad run id", { goal: "x", run_id: "../etc" }, 400, "INPUT_INVALID", "body.run_id: a run id is 1 to 128 letters"],
    [
      "an unknown workflow",
      { workflow: "rm_rf" },
      404,
      "WORKFLOW_NOT_FOUND",
      'No workflow "rm_rf" in the library; the workflows: api_orchestration, data_pipeline',
    ],
    ["a workflow name that is not one", { workflow: "../etc" }, 400, "INPUT_INVALID", "a workflow is NAME or NAME@VERSION"],
    [
      "a library workflow's input of the wrong type",
      { workflow: "job_execution", inputs: { api_url: "http://127.0.0.1:1", job_config: "not an object" } },
      400,
      "INPUT_INVALID",
      'inputs.job_config: "not an object" is string, but the input "job_config" is object',
    ],
    [
      "an invalid plan",
      { plan: { tasks: [{ id: "a", action_type: "shell_exec", action_config: {} }] } },
      400,
      "PLAN_INVALID",
      '"shell_exec" is not one of',
    ],
    ["a goal the planner does not understand", { goal: "Make me a sandwich" }, 422, "GOAL_NOT_UNDERSTOOD", ""],
  ])("POST /runs with %s", async (_what, body, status, code, message) => {
    const res = await call(`${server.url}/runs`, "POST", body);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.message).toContain(message);
  });

  it("refuses a run id that exists (409) and names what to do", async () => {
    await call(`${server.url}/runs`, "POST", { run_id: "api-dup", plan: plan(waitTask("w")) });
    await finished("api-dup");
    const again = await call(`${server.url}/runs`, "POST", { run_id: "api-dup", plan: plan(waitTask("w")) });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("RUN_FINISHED");
  });

  it("answers 404 for an unknown run or route, 400 for bad JSON, 413 for a body too large", async () => {
    for (const url of ["/runs/no-such-run", "/runs/no-such-run/events", "/runs/no-such-run/graph"]) {
      const res = await call(`${server.url}${url}`);
      expect([res.status, res.body.error.code]).toEqual([404, "RUN_NOT_FOUND"]);
    }
    const resume = await call(`${server.url}/runs/no-such-run/resume`, "POST");
    expect([resume.status, resume.body.error.code]).toEqual([404, "RUN_NOT_FOUND"]);
    const route = await call(`${server.url}/nowhere`);
    expect([route.status, route.body.error.code]).toEqual([404, "NOT_FOUND"]);
    const bad = await call(`${server.url}/runs`, "POST", "{not json");
    expect([bad.status, bad.body.error.code]).toEqual([400, "INPUT_INVALID"]);
    const huge = await call(`${server.url}/runs`, "POST", { goal: "x".repeat(9 * 1024 * 1024) });
    expect([huge.status, huge.body.error.code]).toEqual([413, "INPUT_TOO_LARGE"]);
    const query = await call(`${server.url}/runs?limit=0`);
    expect([query.status, query.body.error.code]).toEqual([400, "INPUT_INVALID"]);
    expect(query.body.error.message).toContain("query.limit");
  });

  it("answers a request naming another host 400 (DNS rebinding), and a client over the rate limit 429", async () => {
    const rebinding = await rawGet(`${server.url}/runs`, "attacker.example");
    expect(rebinding.status).toBe(400);
    expect(JSON.parse(rebinding.body).error.code).toBe("INPUT_INVALID");
    const limited = await startTestServer({ persist: "memory" }, { rateLimitPerMinute: 3 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await call(`${limited.url}/runs`)).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      expect((await call(`${limited.url}/runs`)).body.error.code).toBe("RATE_LIMITED");
    } finally {
      await limited.close();
    }
  });
});

/** GET with a Host header of our choosing (fetch sends the URL's). */
function rawGet(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => {
        body += c.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Poll GET /runs/:id until its status is `status` (deadline 20 s). */
async function pollStatus(on: TestServer, runId: string, status: string) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await call(`${on.url}/runs/${runId}`);
    if (res.body?.status === status) return res.body;
    if (Date.now() > deadline) throw new Error(`run ${runId} is ${res.body?.status ?? res.status}, not ${status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("a server with a token (SERVER_TOKEN)", () => {
  it("answers 401 UNAUTHORIZED without it or with another, and serves with it (events too; never from the URL)", async () => {
    const token = "a-token-of-some-length";
    const guarded = await startTestServer({ persist: "memory" }, { token });
    try {
      const none = await call(`${guarded.url}/runs`);
      expect([none.status, none.body.error.code]).toEqual([401, "UNAUTHORIZED"]);
      const wrong = await call(`${guarded.url}/runs`, "GET", undefined, { authorization: "Bearer not-the-token" });
      expect([wrong.status, wrong.body.error.code]).toEqual([401, "UNAUTHORIZED"]);
      const auth = { authorization: `Bearer ${token}` };
      expect((await call(`${guarded.url}/healthz`)).status).toBe(200);
      const started = await call(`${guarded.url}/runs`, "POST", { run_id: "tok-1", plan: plan(waitTask("w")) }, auth);
      expect(started.status).toBe(202);
      const events = await readEvents(`${guarded.url}/runs/tok-1/events`, { headers: auth });
      expect(events.at(-1)?.event).toBe("run_completed");
      const inUrl = await call(`${guarded.url}/runs/tok-1/events?access_token=${token}`);
      expect([inUrl.status, inUrl.body.error.code]).toEqual([401, "UNAUTHORIZED"]);
    } finally {
      await guarded.close();
    }
  });
});
