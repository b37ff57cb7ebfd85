import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dropSchemas } from "../../fixtures/cli-child.js";
import { makeTempDir } from "../../fixtures/context.js";
import { plan, waitTask } from "../../fixtures/plans.js";
import { call, readEvents, startTestServer, type TestServer } from "../../fixtures/test-server.js";

// Two servers over one PostgreSQL schema and one Redis: any server shows, follows and cancels any run.
const PG_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const ID = randomBytes(4).toString("hex");
const SCHEMA = `wfe_fleet_${ID}`;

let a: TestServer;
let b: TestServer;
let ws: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  ws = await makeTempDir("wf-fleet-");
  const shared = {
    workspace: ws.dir,
    env: {},
    checkpointUrl: PG_URL,
    checkpointSchema: SCHEMA,
    redisUrl: REDIS_URL,
    redisPrefix: `wfe-fleet-${ID}:`,
    leaseSeconds: 1,
  };
  a = await startTestServer(shared, { rateLimitPerMinute: 0 });
  b = await startTestServer(shared, { rateLimitPerMinute: 0 });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await dropSchemas(SCHEMA);
  await ws.cleanup();
});

/** Three tasks in a chain, each waiting a little, so the run is still going when a client connects. */
const chain = () => plan(waitTask("one", 150), waitTask("two", 150, ["one"]), waitTask("three", 150, ["two"]));

describe("servers sharing PostgreSQL and Redis", () => {
  it("follows a run started on another server; a reconnect with Last-Event-ID loses and repeats nothing", async () => {
    expect((await call(`${a.url}/runs`, "POST", { run_id: `fleet-sse-${ID}`, plan: chain() })).status).toBe(202);
    const url = `${b.url}/runs/fleet-sse-${ID}/events`;
    // Drop the connection after two events, then come back with the last id, as EventSource does.
    const first = await readEvents(url, { stopAfter: 2 });
    const rest = await readEvents(url, { lastEventId: first.at(-1)?.id as string });
    const all = [...first, ...rest];
    const ids = all.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(all.map((e) => e.event)).toEqual([
      "run_started",
      "plan_ready",
      ...["one", "two", "three"].flatMap(() => ["task_started", "task_completed"]),
      "run_completed",
    ]);
    expect(all.filter((e) => e.event === "task_completed").map((e) => e.data.task_id)).toEqual(["one", "two", "three"]);
    // The same whole sequence from the start, on either server.
    const again = await readEvents(`${a.url}/runs/fleet-sse-${ID}/events`);
    expect(again.map((e) => e.id)).toEqual(ids);
    const done = await fetch(url, { headers: { "last-event-id": ids.at(-1) as string } });
    expect(done.status).toBe(204);
    const shown = (await call(`${b.url}/runs/fleet-sse-${ID}`)).body;
    expect(shown.status).toBe("completed");
  });

  it("cancels from one server a run another server drives (through the run's lease)", async () => {
    const runId = `fleet-cancel-${ID}`;
    await call(`${a.url}/runs`, "POST", { run_id: runId, plan: plan(waitTask("long", 60_000), waitTask("after", 0, ["long"])) });
    const asked = await call(`${b.url}/runs/${runId}/cancel`, "POST", { reason: "stop it" });
    expect(asked.status).toBe(202);
    expect(asked.body.status).toBe("cancel_requested");
    const events = await readEvents(`${b.url}/runs/${runId}/events`);
    expect(events.at(-1)?.data).toMatchObject({ type: "run_completed", status: "failed" });
    const run = (await call(`${b.url}/runs/${runId}`)).body;
    expect(run.tasks.map((t: { status: string }) => t.status)).toEqual(["failed", "skipped"]);
    expect(run.tasks[0].error).toMatchObject({ code: "CANCELLED" });
    expect(run.tasks[0].error.message).toContain("stop it");
  });

  it("refuses to resume from one server a run the other drives (409 RUN_BUSY), and lists every run on both", async () => {
    const runId = `fleet-busy-${ID}`;
    await call(`${a.url}/runs`, "POST", { run_id: runId, plan: plan(waitTask("w", 1500)) });
    const busy = await call(`${b.url}/runs/${runId}/resume`, "POST");
    expect([busy.status, busy.body.error.code]).toEqual([409, "RUN_BUSY"]);
    await readEvents(`${b.url}/runs/${runId}/events`);
    const onA = (await call(`${a.url}/runs?limit=100`)).body.runs.map((r: { run_id: string }) => r.run_id);
    const onB = (await call(`${b.url}/runs?limit=100`)).body.runs.map((r: { run_id: string }) => r.run_id);
    expect(onB).toEqual(onA);
    expect(onA).toContain(runId);
  });
});
