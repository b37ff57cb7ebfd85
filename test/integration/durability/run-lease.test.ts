import { dropSchemas } from "../../fixtures/cli-child.js";
import { spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { once } from "node:events";
import { readdir } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { EngineOptions } from "../../../src/engine/engine-options.js";
import { processIdentity } from "../../../src/engine/lease-holder.js";
import { WorkflowEngine } from "../../../src/engine/workflow-engine.js";
import { ErrorCode, type RunBusyError, WorkflowError } from "../../../src/model/errors.js";
import type { PlanInput } from "../../../src/model/plan-schema.js";
import { PostgresLeaseStore } from "../../../src/persistence/postgres-run-lease.js";
import { type LeaseOwner, MemoryLeaseStore, type RunLeaseStore } from "../../../src/persistence/run-lease.js";
import { SqliteLeaseStore } from "../../../src/persistence/sqlite-run-lease.js";
import { PostgresRunStore } from "../../../src/persistence/postgres-run-store.js";
import type { RunStore } from "../../../src/persistence/run-store.js";
import { SqliteRunStore } from "../../../src/persistence/sqlite-run-store.js";
import { runCli } from "../../fixtures/cli.js";
import { makeTempDir } from "../../fixtures/context.js";
import { until } from "../../fixtures/graph-harness.js";
import { heldEndpoint } from "../../fixtures/loopback.js";
import { waitTask } from "../../fixtures/plans.js";

const PG_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const ID = randomBytes(4).toString("hex");
const SCHEMA_PREFIX = `wfe_lease_${ID}_`;
let schemas = 0;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(() => dropSchemas(SCHEMA_PREFIX));

const owner = (purpose = "resume", extra: Partial<LeaseOwner> = {}): LeaseOwner => ({
  token: randomUUID(),
  host: "test-host",
  pid: 4242,
  purpose,
  ...extra,
});

/** `n` independent handles on one lease table (separate SQLite connections, or separate pools), all closed after the test. */
type StoreFactory = (n: number) => Promise<RunLeaseStore[]>;

async function sqliteStores(n: number): Promise<RunLeaseStore[]> {
  const { dir, cleanup } = await makeTempDir("wf-lease-");
  const dbs = Array.from({ length: n }, () => new Database(path.join(dir, "leases.sqlite")));
  cleanups.push(cleanup, async () => {
    for (const db of dbs) db.close();
  });
  return dbs.map((db) => new SqliteLeaseStore(db));
}

async function postgresStores(n: number): Promise<RunLeaseStore[]> {
  const schema = `${SCHEMA_PREFIX}${++schemas}`;
  const pools = Array.from({ length: n }, () => new pg.Pool({ connectionString: PG_URL, max: 1 }));
  cleanups.push(() => Promise.all(pools.map((p) => p.end())));
  await pools[0]?.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  const stores: RunLeaseStore[] = [];
  for (const pool of pools) stores.push(await PostgresLeaseStore.open(pool, schema));
  return stores;
}

const STORES: [string, StoreFactory][] = [
  ["memory", async (n) => Array.from({ length: n }).fill(new MemoryLeaseStore()) as RunLeaseStore[]],
  ["sqlite", sqliteStores],
  ["postgres", postgresStores],
];

describe.each(STORES)("the lease store (%s)", (_name, stores) => {
  it("takes a free lease, refuses it to others while it lasts, renews it for its holder only, and releases it", async () => {
    const [store] = (await stores(1)) as [RunLeaseStore];
    const first = owner("run");
    const got = await store.acquire("r1", first, 60_000);
    expect(got).toMatchObject({
      acquired: true,
      lease: { runId: "r1", token: first.token, host: "test-host", pid: 4242, purpose: "run", expired: false },
    });
    if (!got.acquired) return;
    expect(Date.parse(got.lease.until) - Date.parse(got.lease.since)).toBeGreaterThanOrEqual(59_000);

    const second = owner("resume", { pid: 99 });
    expect(await store.acquire("r1", second, 60_000)).toMatchObject({
      acquired: false,
      holder: { token: first.token, purpose: "run", pid: 4242 },
    });
    expect(await store.acquire("r2", second, 60_000)).toMatchObject({ acquired: true });

    expect(await store.renew("r1", second.token, 60_000)).toBeUndefined();
    const renewed = await store.renew("r1", first.token, 120_000);
    expect(Date.parse(renewed?.until ?? "")).toBeGreaterThan(Date.parse(got.lease.until));

    await store.release("r1", second.token);
    expect((await store.holder("r1"))?.token).toBe(first.token);
    await store.release("r1", first.token);
    expect(await store.holder("r1")).toBeUndefined();
    expect(await store.acquire("r1", second, 60_000)).toMatchObject({ acquired: true, lease: { token: second.token } });
  });

  it("gives an expired lease to the next taker, and an unexpired one only in place of a named (dead) holder", async () => {
    const [store] = (await stores(1)) as [RunLeaseStore];
    const [dead, next, other] = [owner("run"), owner("resume"), owner("resume")];
    await store.acquire("r", dead, 150);
    await until(async () => (await store.holder("r"))?.expired === true, 10_000);
    expect(await store.acquire("r", next, 60_000)).toMatchObject({ acquired: true, lease: { token: next.token } });
    // The first holder comes back: its renewal finds another token.
    expect(await store.renew("r", dead.token, 60_000)).toBeUndefined();

    expect(await store.acquire("r", other, 60_000, dead.token)).toMatchObject({ acquired: false, holder: { token: next.token } });
    expect(await store.acquire("r", other, 60_000, next.token)).toMatchObject({ acquired: true, lease: { token: other.token } });
  });

  it("carries a cancel request from another handle to the holder's next renewal, and not to the next holder", async () => {
    const [store, other] = (await stores(2)) as [RunLeaseStore, RunLeaseStore];
    expect(await other.requestCancel("c", "nobody holds it")).toBe(false);
    const holder = owner("run");
    await store.acquire("c", holder, 150);
    expect((await store.renew("c", holder.token, 150))?.cancelReason).toBeUndefined();
    expect(await other.requestCancel("c", "stop, please")).toBe(true);
    expect(await store.renew("c", holder.token, 150)).toMatchObject({ token: holder.token, cancelReason: "stop, please" });
    // An expired lease has nobody to ask; whoever takes the run next starts without the old request.
    await until(async () => (await store.holder("c"))?.expired === true, 10_000);
    expect(await other.requestCancel("c", "too late")).toBe(false);
    const next = owner("resume");
    expect(await store.acquire("c", next, 60_000)).toMatchObject({ acquired: true });
    expect((await store.holder("c"))?.cancelReason).toBeUndefined();
  });

  it("of ten takers at once exactly one gets the lease, and all the others are told who holds it", async () => {
    const handles = await stores(10);
    const owners = handles.map((_, i) => owner("resume", { pid: 1000 + i }));
    const results = await Promise.all(handles.map((s, i) => s.acquire("contended", owners[i] as LeaseOwner, 60_000)));
    const winners = results.flatMap((r) => (r.acquired ? [r.lease.token] : []));
    expect(winners).toHaveLength(1);
    for (const r of results) if (!r.acquired) expect(r.holder.token).toBe(winners[0]);
  });
});

/** A run whose second task waits on an HTTP answer the test releases. */
function heldPlan(url: string): PlanInput {
  return {
    tasks: [
      waitTask("w1", 1),
      { id: "hold", action_type: "api_call", action_config: { url }, dependencies: ["w1"] },
      waitTask("w3", 1, ["hold"]),
    ],
  };
}

/** Engine options for a fresh store in `workspace`, and the lease table as another process would open it. */
type Backend = (workspace: string) => {
  options: Partial<EngineOptions>;
  leases?: () => Promise<RunLeaseStore>;
  runs?: () => Promise<RunStore>;
};

const BACKENDS: [string, Backend][] = [
  [
    "sqlite",
    (ws) => {
      const file = path.join(ws, ".workflow-state", "checkpoints.sqlite");
      return {
        options: {},
        leases: async () => new SqliteLeaseStore(sqliteFile(file)),
        runs: async () => new SqliteRunStore(sqliteFile(file)),
      };
    },
  ],
  [
    "postgres",
    () => {
      const schema = `${SCHEMA_PREFIX}${++schemas}`;
      return {
        options: { checkpointUrl: PG_URL, checkpointSchema: schema },
        leases: async () => PostgresLeaseStore.open(postgresPool(), schema),
        runs: async () => PostgresRunStore.open(postgresPool(), schema),
      };
    },
  ],
  ["memory", () => ({ options: { persist: "memory" } })],
];

function sqliteFile(file: string): Database.Database {
  const db = new Database(file, { fileMustExist: true });
  cleanups.push(async () => db.close());
  return db;
}

function postgresPool(): pg.Pool {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
  cleanups.push(() => pool.end());
  return pool;
}

describe.each(BACKENDS)("engines sharing a run history (%s)", (name, backend) => {
  /** Engines on one store (one workspace, one schema); the memory store is per engine, so `other` is the same engine there. */
  async function engines(extra: Partial<EngineOptions> = {}) {
    const { dir, cleanup } = await makeTempDir("wf-lease-engine-");
    const store = backend(dir);
    const options = { workspace: dir, env: {}, advisor: null, allowHosts: ["127.0.0.1"], ...store.options, ...extra };
    const make = (more: Partial<EngineOptions> = {}) => {
      const e = new WorkflowEngine({ ...options, ...more });
      cleanups.push(() => e.close());
      return e;
    };
    const held = await heldEndpoint();
    cleanups.push(
      cleanup,
      () => held.close(),
      async () => held.release(),
    );
    const first = make();
    const leases = async () => {
      if (!store.leases) throw new Error("no lease table outside the process");
      return store.leases();
    };
    const runs = async () => {
      if (!store.runs) throw new Error("no run records outside the process");
      return store.runs();
    };
    return { held, first, other: name === "memory" ? first : make(), make, leases, runs };
  }

  it("a run in progress is not resumed, approved, deleted or pruned elsewhere: RUN_BUSY names its holder", async () => {
    const { held, first, other } = await engines();
    const runId = `busy-${ID}`;
    const running = first.run(heldPlan(held.url), { runId });
    await until(() => held.waiting() === 1, 10_000);

    const attempts: [string, () => Promise<unknown>][] = [["delete", () => other.deleteRun(runId)]];
    if (name !== "memory") attempts.push(["resume", () => other.resume(runId)], ["approve", () => other.decide(runId, { approve: true })]);
    for (const [what, attempt] of attempts) {
      const err = (await attempt().then(
        () => undefined,
        (e: unknown) => e,
      )) as RunBusyError;
      expect(err, what).toBeInstanceOf(WorkflowError);
      expect(err.code, `${what}: ${err.message}`).toBe(ErrorCode.RunBusy);
      expect(err.message).toMatch(
        new RegExp(
          `^Run "${runId}" is busy: pid ${process.pid} on host ${hostname()} \\(run\\) since \\d{4}-.+Z, lease until \\d{4}-.+Z\\. Nothing was done\\.`,
        ),
      );
      expect(err.holder).toMatchObject({ pid: process.pid, host: hostname(), purpose: "run" });
    }
    expect(await other.pruneRuns(new Date(Date.now() + 60_000))).toEqual([]);

    held.release();
    expect((await running).status).toBe("completed");
    expect((await other.getRun(runId)).result.tasks.map((t) => t.status)).toEqual(["completed", "completed", "completed"]);
    expect(await other.pruneRuns(new Date(Date.now() + 60_000))).toEqual([runId]);
  });

  it.skipIf(name === "memory")(
    "--wait: a resume waits for the holder and then finds the run finished; a short wait gives up with RUN_BUSY",
    async () => {
      const { held, first, other } = await engines();
      const runId = `wait-${ID}`;
      const running = first.run(heldPlan(held.url), { runId });
      await until(() => held.waiting() === 1, 10_000);

      const impatient = (await other.resume(runId, { wait: 0.3 }).catch((e: unknown) => e)) as WorkflowError;
      expect(impatient.code).toBe(ErrorCode.RunBusy);
      expect(impatient.message).toMatch(/\(waited 0\.\d s\)\. Nothing was done\./);

      const patient = other.resume(runId, { wait: Number.POSITIVE_INFINITY }).catch((e: unknown) => e);
      held.release();
      expect((await running).status).toBe("completed");
      expect(await patient).toMatchObject({ code: ErrorCode.RunFinished });
    },
  );

  it.skipIf(name === "memory")(
    "a holder whose lease is taken stops driving: LEASE_LOST, nothing more written; the new holder finishes the run",
    async () => {
      const { held, first, make, leases } = await engines({ leaseSeconds: 1 });
      const runId = `lost-${ID}`;
      const running = first.run(heldPlan(held.url), { runId }).catch((e: unknown) => e);
      await until(() => held.waiting() === 1, 10_000);
      const persistence = await leases();
      const holder = await persistence.holder(runId);
      expect(holder).toMatchObject({ pid: process.pid, purpose: "run", expired: false });
      // Another process takes the lease (as if the holder had looked dead): the holder's next renewal sees it.
      const thief = owner("resume");
      expect(await persistence.acquire(runId, thief, 60_000, holder?.token)).toMatchObject({ acquired: true });

      const lost = (await running) as WorkflowError;
      expect(lost.code, lost.message).toBe(ErrorCode.LeaseLost);
      expect(lost.message).toContain(
        `This process lost the lease on run "${runId}" (the lease is now held by pid 4242 on host test-host (resume)`,
      );
      // Its cancelled task and its end were not written: the checkpoint still has the task in flight.
      const state = await first.getState(runId);
      expect(state?.context.status).toBe("running");
      expect(state?.tasks.hold?.status).toBe("running");
      expect((await first.getRun(runId)).record.status).toBe("running");

      await persistence.release(runId, thief.token);
      held.release(); // the request the cancelled task had sent
      // The resume sends it again (it was in flight, not completed), and only then is it answered.
      const resuming = make().resume(runId);
      await until(() => held.waiting() === 1, 10_000);
      held.release();
      const resumed = await resuming;
      expect(resumed.status).toBe("completed");
      expect(resumed.tasks.map((t) => [t.id, t.status, t.attempts])).toEqual([
        ["w1", "completed", 1],
        ["hold", "completed", 1],
        ["w3", "completed", 1],
      ]);
    },
  );

  it.skipIf(name === "memory")(
    "a lease left by a process that is gone (same host) is taken over at once; one held by a live process is not",
    async () => {
      const { first, leases: open } = await engines();
      const runId = `orphan-${ID}`;
      expect((await first.run({ tasks: [waitTask("a", 1)] }, { runId })).status).toBe("completed");
      const leases = await open();
      const me = processIdentity();
      const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
      await once(child, "exit");
      await leases.acquire(runId, { ...me, token: randomUUID(), pid: child.pid ?? 0, purpose: "resume" }, 600_000);
      await expect(first.resume(runId)).rejects.toMatchObject({ code: ErrorCode.RunFinished });

      await leases.acquire(runId, { ...me, token: randomUUID(), pid: process.ppid, purpose: "resume" }, 600_000);
      await expect(first.resume(runId)).rejects.toMatchObject({
        code: ErrorCode.RunBusy,
        holder: { pid: process.ppid, purpose: "resume" },
      });
    },
  );

  it.skipIf(name === "memory")(
    "a resume of a finished run whose record was left running (its holder lost the lease at the end) sets the record right",
    async () => {
      const { first, runs: open } = await engines();
      const runId = `record-${ID}`;
      expect((await first.run({ tasks: [waitTask("a", 1)] }, { runId })).status).toBe("completed");
      const runs = await open();
      const record = await runs.get(runId);
      await runs.upsert({ run_id: runId, status: "running", created_at: record?.created_at ?? "", updated_at: new Date().toISOString() });
      expect((await first.listRuns())[0]).toMatchObject({ run_id: runId, status: "running" });
      await expect(first.resume(runId)).rejects.toMatchObject({ code: ErrorCode.RunFinished });
      expect((await first.listRuns())[0]).toMatchObject({
        run_id: runId,
        status: "completed",
        tasks_total: 1,
        finished_at: expect.any(String),
      });
    },
  );
});

describe("lease flags on the command line", () => {
  it("a --wait that is not a number of seconds, and a --lease-seconds under 1, are refused before anything is opened (exit 2)", async () => {
    const { dir, cleanup } = await makeTempDir("wf-lease-flags-");
    cleanups.push(cleanup);
    const env = { CHECKPOINT_URL: "", CHECKPOINT_SCHEMA: "", REDIS_URL: "" };
    const wait = await runCli(["runs", "resume", "some-run", "--wait", "soon", "--workspace", dir], { env });
    expect(wait).toMatchObject({
      code: 2,
      stdout: "",
      stderr: 'Error [CONFIG_INVALID]: --wait takes a number of seconds, or nothing to wait until the run is free; got "soon".\n',
    });
    const lease = await runCli(["--goal", "Create out/a.txt with 'A'", "--lease-seconds", "0", "--workspace", dir], { env });
    expect(lease).toMatchObject({
      code: 2,
      stdout: "",
      stderr: "Error [CONFIG_INVALID]: --lease-seconds must be at least 1 (given 0). Run with --help for the options.\n",
    });
    expect(await readdir(dir)).toEqual([]);
  });
});
