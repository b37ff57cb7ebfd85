import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { dropSchemas } from "../../fixtures/cli-child.js";
import { makeTempDir } from "../../fixtures/context.js";
import { type CountingServer, startCountingServer } from "../../fixtures/counting-server.js";
import { type ServeProcess, spawnServe } from "../../fixtures/serve-process.js";
import { call, readEvents } from "../../fixtures/test-server.js";

// `serve` as a process: SIGTERM stops taking runs, lets runs in flight end within the grace period or stops
// them at their last checkpoint, and exits 0; the next server resumes what was left.
let api: CountingServer;
beforeAll(async () => {
  api = await startCountingServer((p) => (p.startsWith("/slow") ? 1200 : 0));
});
afterAll(() => api.close());

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(ws: string, ...args: string[]): Promise<ServeProcess> {
  return serveWith({}, ws, ...args);
}

async function serveWith(env: Record<string, string>, ws: string, ...args: string[]): Promise<ServeProcess> {
  const s = await spawnServe(["--workspace", ws, "--allow-host", "127.0.0.1", ...args], env);
  cleanups.push(() => s.kill());
  return s;
}

async function workspace(): Promise<string> {
  const { dir, cleanup } = await makeTempDir("wf-serve-");
  cleanups.push(cleanup);
  return dir;
}

/** Three slow calls in a chain: /slow-<tag>-1 -> 2 -> 3. */
function slowChain(tag: string) {
  const step = (n: number, deps: string[]) => ({
    id: `s${n}`,
    action_type: "api_call",
    action_config: { url: `${api.url}/slow-${tag}-${n}` },
    dependencies: deps,
  });
  return { tasks: [step(1, []), step(2, ["s1"]), step(3, ["s2"])] };
}

async function untilTask(url: string, runId: string, taskId: string, status: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const run = (await call(`${url}/runs/${runId}`)).body;
    if (run?.tasks?.find((t: { id: string }) => t.id === taskId)?.status === status) return;
    if (Date.now() > deadline) throw new Error(`task ${taskId} of ${runId} never became ${status}: ${JSON.stringify(run?.tasks)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("serve: graceful shutdown and restart", () => {
  it("SIGTERM with no grace: the run stops at its last checkpoint, the server exits 0, and the next server finishes it", async () => {
    const ws = await workspace();
    const first = await serve(ws, "--grace-seconds", "0");
    expect((await call(`${first.url}/runs`, "POST", { run_id: "restart-1", plan: slowChain("r") })).status).toBe(202);
    await untilTask(first.url, "restart-1", "s1", "completed");
    first.child.kill("SIGTERM");
    expect(await first.exited).toEqual({ code: 0, signal: null });
    expect(first.stderr()).toContain("stopped");

    const second = await serve(ws);
    const events = await readEvents(`${second.url}/runs/restart-1/events`, { deadlineMs: 60_000 });
    expect(events.at(-1)?.data).toMatchObject({ type: "run_completed", status: "completed" });
    const run = (await call(`${second.url}/runs/restart-1`)).body;
    expect(run.tasks.map((t: { status: string }) => t.status)).toEqual(["completed", "completed", "completed"]);
    // The step that completed before the shutdown is not repeated; the one in flight may run once more,
    // with the same Idempotency-Key.
    expect(api.hits("/slow-r-1")).toBe(1);
    expect(api.hits("/slow-r-2")).toBeGreaterThanOrEqual(1);
    expect(api.hits("/slow-r-2")).toBeLessThanOrEqual(2);
    expect(new Set(api.log("/slow-r-2").map((h) => h.idempotencyKey)).size).toBe(1);
    expect(api.hits("/slow-r-3")).toBe(1);
    second.child.kill("SIGTERM");
    expect((await second.exited).code).toBe(0);
  });

  it("SIGTERM with a grace period: new runs are refused with 503, the run in flight ends, then the server exits", async () => {
    const ws = await workspace();
    const s = await serve(ws, "--grace-seconds", "60");
    await call(`${s.url}/runs`, "POST", { run_id: "grace-1", plan: slowChain("g") });
    await untilTask(s.url, "grace-1", "s1", "running");
    s.child.kill("SIGTERM");
    const deadline = Date.now() + 20_000;
    // A POST may still arrive before the signal does (and that run is then drained like the first); each
    // later one is refused and starts nothing.
    let refused: { status: number; body: { error: { code: string } } } | undefined;
    const refusedTags: string[] = [];
    for (let n = 0; !refused && Date.now() < deadline; n++) {
      const res = await call(`${s.url}/runs`, "POST", { plan: slowChain(`late${n}`) }).catch(() => undefined);
      if (res?.status === 503) {
        refused = res;
        refusedTags.push(`late${n}`);
      }
    }
    expect(refused?.body.error.code).toBe("SERVER_DRAINING");
    expect(await s.exited).toEqual({ code: 0, signal: null });
    for (const tag of refusedTags) expect(api.hits(`/slow-${tag}-1`)).toBe(0);
    // It finished before the exit: a new server has nothing to resume and shows it completed.
    const next = await serve(ws);
    expect((await call(`${next.url}/runs/grace-1`)).body.status).toBe("completed");
    expect(["/slow-g-1", "/slow-g-2", "/slow-g-3"].map((p) => api.hits(p))).toEqual([1, 1, 1]);
  });
});

describe("serve: shutdown with clients attached", () => {
  it("a client following a paused run's events does not hold the shutdown: its stream ends and the server exits 0", async () => {
    const ws = await workspace();
    const s = await serve(ws, "--approve", "ask");
    const write = { id: "save", action_type: "file_operation", action_config: { operation: "write", path: "x.txt", content: "x" } };
    await call(`${s.url}/runs`, "POST", { run_id: "held-1", plan: { tasks: [write] } });
    const following = readEvents(`${s.url}/runs/held-1/events`, { deadlineMs: 60_000 }).catch((err: Error) => err);
    const deadline = Date.now() + 30_000;
    while ((await call(`${s.url}/runs/held-1`)).body.status !== "awaiting_approval") {
      if (Date.now() > deadline) throw new Error("the run never paused");
      await new Promise((r) => setTimeout(r, 50));
    }
    s.child.kill("SIGTERM");
    // Nothing is in flight, so the exit is prompt; the client's own deadline (60 s) must not be what ends it.
    const hung = new Promise<"hung">((resolve) => setTimeout(() => resolve("hung"), 20_000).unref());
    expect(await Promise.race([s.exited, hung])).toEqual({ code: 0, signal: null });
    const got = await following;
    // The stream ended (or broke) with the server: what arrived ends with the pause, nothing after it.
    if (!(got instanceof Error)) expect(got.at(-1)?.event).toBe("approval_requested");
  });
});

describe("schedules across servers", () => {
  const PG_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const SCHEMA = `wfe_sched_serve_${randomBytes(4).toString("hex")}`;
  afterAll(() => dropSchemas(SCHEMA));

  it("a per-second schedule fires each due time once across two servers and a restart of one", async () => {
    const ws = await workspace();
    const env = { CHECKPOINT_URL: PG_URL, CHECKPOINT_SCHEMA: SCHEMA };
    const [one, two] = [await serveWith(env, ws), await serveWith(env, ws)];
    const tick = { id: "tick", action_type: "api_call", action_config: { method: "POST", url: `${api.url}/tick`, body: {} } };
    const added = await call(`${one.url}/schedules`, "POST", { id: "every-second", cron: "* * * * * *", plan: { tasks: [tick] } });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    const keys = () => api.log("/tick").map((h) => h.idempotencyKey as string);
    const untilKeys = async (n: number) => {
      const deadline = Date.now() + 60_000;
      while (new Set(keys()).size < n) {
        if (Date.now() > deadline) throw new Error(`only ${new Set(keys()).size} firings reached the API`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await untilKeys(4);
    // One server restarts while the other keeps firing.
    two.child.kill("SIGTERM");
    expect((await two.exited).code).toBe(0);
    const three = await serveWith(env, ws);
    const before = new Set(keys()).size;
    await untilKeys(before + 4);
    for (const s of [one, three]) s.child.kill("SIGTERM");
    await Promise.all([one.exited, three.exited]);
    // Every firing is its own run (the schedule id and the fire time), and reached the API exactly once.
    const all = keys();
    expect(new Set(all).size).toBe(all.length);
    for (const key of all) expect(key).toMatch(/^every-second:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ:tick$/);
  });
});
