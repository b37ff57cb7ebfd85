import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../../utils/logger.js";
import { openPersistence } from "../../../src/persistence/open-persistence.js";
import { ErrorCode, WorkflowError } from "../../../src/model/errors.js";
import type { ScheduleStore } from "../../../src/persistence/schedule-store.js";
import { aSchedule, scheduleBackends } from "../../fixtures/schedule-stores.js";

const { backends, cleanup } = scheduleBackends("wfe_schedstore");
const PG_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
afterAll(cleanup);

const T1 = new Date("2026-01-02T02:00:00Z");
const T2 = new Date("2026-01-03T02:00:00Z");

describe.each(backends)("the schedule store (%s)", (_name, stores) => {
  it("adds, gets and lists schedules with every field as given, and refuses a duplicate id with INPUT_INVALID", async () => {
    const [store] = (await stores(1)) as [ScheduleStore];
    const nightly = aSchedule({ id: "nightly", tz: "Europe/Paris", variables: { limit: 5 }, overlap: "allow", catch_up: "none" });
    const plan = aSchedule(
      { id: "with-plan", goal: undefined, plan: { tasks: [{ id: "w", action_type: "wait", action_config: { seconds: 0 } }] } },
      new Date("2026-01-01T00:00:01Z"),
    );
    await store.add(nightly);
    await store.add(plan);
    expect(await store.get("nightly")).toEqual(nightly);
    expect(await store.get("with-plan")).toEqual(plan);
    expect(await store.get("nope")).toBeUndefined();
    expect((await store.list()).map((s) => s.id)).toEqual(["nightly", "with-plan"]);
    const duplicate = await store.add(aSchedule({ id: "nightly" })).catch((e: unknown) => e);
    expect(duplicate).toBeInstanceOf(WorkflowError);
    expect(duplicate).toMatchObject({ code: ErrorCode.InputInvalid, message: expect.stringContaining('"nightly" already exists') });
    expect(await store.get("nightly")).toEqual(nightly);
  });

  it("pauses and resumes, and deletes a schedule with its firings", async () => {
    const [store] = (await stores(1)) as [ScheduleStore];
    await store.add(aSchedule({ id: "s" }));
    expect(await store.setPaused("s", true)).toMatchObject({ id: "s", paused: true });
    expect((await store.get("s"))?.paused).toBe(true);
    expect(await store.setPaused("s", false)).toMatchObject({ paused: false });
    expect(await store.setPaused("missing", true)).toBeUndefined();
    await store.claimFiring({ schedule_id: "s", fire_at: T1, run_id: "s:x", outcome: "claimed" });
    expect(await store.delete("s")).toBe(true);
    expect(await store.delete("s")).toBe(false);
    expect(await store.get("s")).toBeUndefined();
    expect(await store.firings("s")).toEqual([]);
    // A schedule added again under the name starts with no firings of the old one.
    await store.add(aSchedule({ id: "s" }));
    expect(await store.claimFiring({ schedule_id: "s", fire_at: T1, run_id: "s:x", outcome: "claimed" })).toBe(true);
  });

  it("gives each due time to exactly one of many concurrent claims, over separate connections", async () => {
    const handles = await stores(3);
    await handles[0]?.add(aSchedule({ id: "race" }));
    const claims = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (handles[i % handles.length] as ScheduleStore).claimFiring({
          schedule_id: "race",
          fire_at: T1,
          run_id: `r${i}`,
          outcome: "claimed",
        }),
      ),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    const winner = claims.indexOf(true);
    const firings = await handles[1]?.firings("race");
    expect(firings).toEqual([
      { schedule_id: "race", fire_at: T1.toISOString(), run_id: `r${winner}`, outcome: "claimed", claimed_at: expect.any(String) },
    ]);
    // Another due time is a new claim.
    expect(await handles[2]?.claimFiring({ schedule_id: "race", fire_at: T2, outcome: "missed" })).toBe(true);
    expect((await handles[0]?.firings("race"))?.map((f) => [f.fire_at, f.outcome])).toEqual([
      [T2.toISOString(), "missed"],
      [T1.toISOString(), "claimed"],
    ]);
  });

  it("records the outcome of a firing, and lists claims left claimed since before a cutoff", async () => {
    const [store] = (await stores(1)) as [ScheduleStore];
    await store.add(aSchedule({ id: "s" }));
    await store.claimFiring({
      schedule_id: "s",
      fire_at: T1,
      run_id: "s:1",
      outcome: "claimed",
      claimed_at: new Date("2026-01-02T02:00:00Z"),
    });
    await store.claimFiring({
      schedule_id: "s",
      fire_at: T2,
      run_id: "s:2",
      outcome: "claimed",
      claimed_at: new Date("2026-01-03T02:00:00Z"),
    });
    const stale = await store.staleClaims(new Date("2026-01-03T00:00:00Z"));
    expect(stale.map((f) => f.run_id)).toEqual(["s:1"]);
    await store.setFiringOutcome("s", T1, "started");
    expect(await store.staleClaims(new Date("2026-01-03T00:00:00Z"))).toEqual([]);
    expect((await store.firings("s")).map((f) => f.outcome)).toEqual(["claimed", "started"]);
  });

  it("moves last_fire_at forward only, naming the run when given (also at the same time, after a runner that lost the claim)", async () => {
    const [store] = (await stores(1)) as [ScheduleStore];
    await store.add(aSchedule({ id: "s" }));
    await store.recordFired("s", T2);
    expect(await store.get("s")).toMatchObject({ last_fire_at: T2.toISOString() });
    expect((await store.get("s"))?.last_run_id).toBeUndefined();
    await store.recordFired("s", T2, "s:2");
    expect(await store.get("s")).toMatchObject({ last_fire_at: T2.toISOString(), last_run_id: "s:2" });
    await store.recordFired("s", T1, "s:1");
    expect(await store.get("s")).toMatchObject({ last_fire_at: T2.toISOString(), last_run_id: "s:2" });
    await store.recordFired("s", T2);
    expect(await store.get("s")).toMatchObject({ last_run_id: "s:2" });
  });
});

describe("openPersistence", () => {
  it("opens the schedule store with the runs, in the PostgreSQL schema, from processes opening a new schema at once", async () => {
    const schema = `wfe_schedopen_${randomBytes(4).toString("hex")}`;
    const pools = [0, 1, 2].map(() => new pg.Pool({ connectionString: PG_URL, max: 2 }));
    try {
      const opened = await Promise.all(
        pools.map((pool) => openPersistence({ kind: "postgres", pool, schema, stateDir: "", logger: silentLogger() })),
      );
      await opened[0]?.schedules.add(aSchedule({ id: "shared" }));
      expect(await opened[2]?.schedules.get("shared")).toMatchObject({ id: "shared" });
      const { rows } = await (pools[0] as pg.Pool).query(
        "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name LIKE 'workflow_schedule%'",
        [schema],
      );
      expect(rows[0]).toEqual({ n: 2 });
    } finally {
      await pools[0]?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await Promise.all(pools.map((p) => p.end()));
    }
  });
});
