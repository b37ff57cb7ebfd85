import { afterAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../../utils/logger.js";
import { ErrorCode, WorkflowError } from "../../../src/model/errors.js";
import type { ScheduleInput } from "../../../src/model/schedule.js";
import { MemoryScheduleStore, type ScheduleStore } from "../../../src/persistence/schedule-store.js";
import { type ScheduledRunInput, ScheduleRunner, type ScheduleRunnerOptions } from "../../../src/server/schedule-runner.js";
import { aSchedule, scheduleBackends } from "../../fixtures/schedule-stores.js";

const { backends, cleanup } = scheduleBackends("wfe_schedrun");
afterAll(cleanup);
const [, sqliteStores, postgresStores] = backends.map(([, f]) => f) as [never, (typeof backends)[number][1], (typeof backends)[number][1]];

const CREATED = new Date("2026-01-01T00:00:00Z");
const at = (iso: string) => new Date(iso);

/**
 * The run service, as every server over one database sees it: a run id starts once (the engine's lease and
 * record refuse a second start with RUN_EXISTS), and each run has a status the test sets.
 */
class FakeRuns {
  readonly calls: ScheduledRunInput[] = [];
  readonly status = new Map<string, string>();
  async startRun(input: ScheduledRunInput): Promise<void> {
    this.calls.push(input);
    // The other side of a real call: the promise settles later, as a database round trip would.
    await new Promise((r) => setImmediate(r));
    if (this.status.has(input.run_id)) throw new WorkflowError(ErrorCode.RunExists, `Run "${input.run_id}" already exists.`);
    this.status.set(input.run_id, "running");
  }
  started(): string[] {
    return [...this.status.keys()].sort();
  }
  finishAll(): void {
    for (const id of this.status.keys()) this.status.set(id, "completed");
  }
}

function runner(store: ScheduleStore, runs: FakeRuns, extra: Partial<ScheduleRunnerOptions> = {}): ScheduleRunner {
  return new ScheduleRunner({
    store,
    startRun: (input) => runs.startRun(input),
    runStatus: async (id) => runs.status.get(id),
    logger: silentLogger(),
    ...extra,
  });
}

async function withSchedule(overrides: Partial<ScheduleInput>, store: ScheduleStore = new MemoryScheduleStore()) {
  const schedule = aSchedule({ id: "s", ...overrides }, CREATED);
  await store.add(schedule);
  return { store, schedule, runs: new FakeRuns() };
}

describe.each([
  ["sqlite", sqliteStores],
  ["postgres", postgresStores],
])("firing exactly once per due time (%s)", (_name, stores) => {
  it("two runners ticking the same times at once start each due time's run once, and so does a fresh runner after a restart", async () => {
    const [a, b, c, d] = (await stores(4)) as [ScheduleStore, ScheduleStore, ScheduleStore, ScheduleStore];
    await a.add(aSchedule({ id: "every-minute", cron: "* * * * *", overlap: "allow" }, CREATED));
    const runs = new FakeRuns();
    const [first, second] = [runner(a, runs), runner(b, runs)];
    const minutes = [1, 2, 3, 4, 5].map((m) => at(`2026-01-01T00:0${m}:00.250Z`));
    for (const now of minutes) await Promise.all([first.tick(now), second.tick(now), first.tick(now), second.tick(now)]);
    await Promise.all([first.stop(), second.stop()]);
    const expected = [1, 2, 3, 4, 5].map((m) => `every-minute:2026-01-01T00:0${m}:00Z`);
    expect(runs.calls.map((c) => c.run_id).sort()).toEqual(expected);
    expect(runs.started()).toEqual(expected);

    // The restart: new runners on new connections, ticking times already dealt with, then new ones, at once.
    const [third, fourth] = [runner(c, runs), runner(d, runs)];
    for (const now of minutes) await Promise.all([third.tick(now), fourth.tick(now)]);
    expect(runs.calls).toHaveLength(5);
    const later = [6, 7].map((m) => at(`2026-01-01T00:0${m}:00.900Z`));
    for (const now of later) await Promise.all([third.tick(now), fourth.tick(now)]);
    expect(
      runs.calls
        .map((c) => c.run_id)
        .slice(5)
        .sort(),
    ).toEqual(["every-minute:2026-01-01T00:06:00Z", "every-minute:2026-01-01T00:07:00Z"]);

    const firings = await d.firings("every-minute");
    expect(firings).toHaveLength(7);
    expect(new Set(firings.map((f) => f.outcome))).toEqual(new Set(["started"]));
    expect(await c.get("every-minute")).toMatchObject({
      last_fire_at: "2026-01-01T00:07:00.000Z",
      last_run_id: "every-minute:2026-01-01T00:07:00Z",
    });
  });

  it("a firing claimed by a runner that died before starting its run is started once, by another runner, under the same id", async () => {
    const [a, b] = (await stores(2)) as [ScheduleStore, ScheduleStore];
    await a.add(aSchedule({ id: "nightly" }, at("2026-01-01T12:00:00Z")));
    const runs = new FakeRuns();
    let dead: (() => void) | undefined;
    // The first runner claims 2026-01-02T02:00 and then never gets its run started (a process killed there).
    const dying = runner(a, runs, {
      startRun: () => new Promise((_, reject) => (dead = () => reject(new WorkflowError(ErrorCode.RunExists, "exists")))),
    });
    void dying.tick(at("2026-01-02T02:00:01Z"));
    await expect.poll(async () => (await b.firings("nightly"))[0]?.outcome, { timeout: 5000 }).toBe("claimed");
    const other = runner(b, runs, { staleClaimSeconds: 60 });
    await other.tick(at("2026-01-02T02:00:30Z"));
    expect(runs.calls).toEqual([]);
    await other.tick(at("2026-01-02T02:01:02Z"));
    expect(runs.calls.map((c) => c.run_id)).toEqual(["nightly:2026-01-02T02:00:00Z"]);
    expect((await b.firings("nightly"))[0]?.outcome).toBe("started");
    // The dying runner's start finally answers: the run is there already, nothing starts twice.
    dead?.();
    await dying.stop();
    expect(runs.started()).toEqual(["nightly:2026-01-02T02:00:00Z"]);
    expect((await a.firings("nightly")).map((f) => f.outcome)).toEqual(["started"]);
  });
});

describe("two runners on their own timers over one PostgreSQL database", () => {
  it("start each due time of a per-second schedule exactly once", async () => {
    const [a, b] = (await postgresStores(2)) as [ScheduleStore, ScheduleStore];
    await a.add(aSchedule({ id: "tick", cron: "* * * * * *", overlap: "allow", catch_up: "none" }, new Date()));
    const runs = new FakeRuns();
    const runners = [runner(a, runs, { pollSeconds: 5 }), runner(b, runs, { pollSeconds: 5 })];
    for (const r of runners) r.start();
    try {
      await expect.poll(() => runs.started().length, { timeout: 10_000, interval: 50 }).toBeGreaterThanOrEqual(3);
    } finally {
      await Promise.all(runners.map((r) => r.stop()));
    }
    const ids = runs.calls.map((c) => c.run_id);
    expect(new Set(ids).size).toBe(ids.length);
    const firings = await b.firings("tick");
    expect(
      firings
        .filter((f) => f.outcome === "started")
        .map((f) => f.run_id)
        .sort(),
    ).toEqual(runs.started());
  });
});

describe("what a schedule fires", () => {
  it("after downtime, catch_up latest fires the newest missed due time once; older ones are written down as missed", async () => {
    const { store, runs } = await withSchedule({ catch_up: "latest" });
    const r = runner(store, runs);
    await r.tick(at("2026-01-05T10:00:00Z"));
    await r.tick(at("2026-01-05T10:00:05Z"));
    expect(runs.calls.map((c) => c.run_id)).toEqual(["s:2026-01-05T02:00:00Z"]);
    const firings = await store.firings("s");
    expect(firings.map((f) => [f.fire_at.slice(0, 10), f.outcome])).toEqual([
      ["2026-01-05", "started"],
      ["2026-01-04", "missed"],
      ["2026-01-03", "missed"],
      ["2026-01-02", "missed"],
      ["2026-01-01", "missed"],
    ]);
    runs.finishAll();
    await r.tick(at("2026-01-06T02:00:00.010Z"));
    expect(runs.calls.map((c) => c.run_id).at(-1)).toBe("s:2026-01-06T02:00:00Z");
  });

  it("after downtime, catch_up none fires nothing missed and fires the next due time on time", async () => {
    const { store, runs } = await withSchedule({ catch_up: "none" });
    const r = runner(store, runs, { graceSeconds: 60 });
    await r.tick(at("2026-01-05T10:00:00Z"));
    expect(runs.calls).toEqual([]);
    expect((await store.firings("s")).map((f) => f.outcome)).toEqual(["missed", "missed", "missed", "missed", "missed"]);
    expect((await store.get("s"))?.last_fire_at).toBe("2026-01-05T02:00:00.000Z");
    // A tick a little late is not downtime.
    await r.tick(at("2026-01-06T02:00:40Z"));
    expect(runs.calls.map((c) => c.run_id)).toEqual(["s:2026-01-06T02:00:00Z"]);
  });

  it("overlap skip does not start while the last run is unfinished, and records the due time as skipped_overlap; allow starts anyway", async () => {
    for (const overlap of ["skip", "allow"] as const) {
      const { store, runs } = await withSchedule({ overlap, cron: "*/10 * * * *" });
      const r = runner(store, runs);
      await r.tick(at("2026-01-01T00:10:00Z"));
      for (const status of ["running", "planning", "awaiting_approval"]) {
        runs.status.set("s:2026-01-01T00:10:00Z", status);
        const minute = 10 + 10 * (["running", "planning", "awaiting_approval"].indexOf(status) + 1);
        await r.tick(at(`2026-01-01T00:${minute}:00Z`));
      }
      runs.finishAll();
      await r.tick(at("2026-01-01T00:50:00Z"));
      const ids = runs.calls.map((c) => c.run_id.slice(-9));
      if (overlap === "skip") {
        expect(ids).toEqual(["00:10:00Z", "00:50:00Z"]);
        expect((await store.firings("s")).map((f) => f.outcome)).toEqual([
          "started",
          "skipped_overlap",
          "skipped_overlap",
          "skipped_overlap",
          "started",
        ]);
      } else {
        expect(ids).toEqual(["00:10:00Z", "00:20:00Z", "00:30:00Z", "00:40:00Z", "00:50:00Z"]);
      }
    }
  });

  it("a paused schedule does not fire; resumed, it fires its newest due time (catch_up latest)", async () => {
    const { store, runs } = await withSchedule({});
    await store.setPaused("s", true);
    const r = runner(store, runs);
    await r.tick(at("2026-01-03T03:00:00Z"));
    expect(runs.calls).toEqual([]);
    expect(await store.firings("s")).toEqual([]);
    await store.setPaused("s", false);
    await r.tick(at("2026-01-03T03:00:01Z"));
    expect(runs.calls.map((c) => c.run_id)).toEqual(["s:2026-01-03T02:00:00Z"]);
  });

  it("fires a cron in Europe/Paris at the right UTC instant, on the day clocks go forward", async () => {
    const { store, runs } = await withSchedule({ cron: "0 3 * * *", tz: "Europe/Paris" });
    await store.recordFired("s", at("2026-03-28T02:00:00Z"));
    const r = runner(store, runs);
    await r.tick(at("2026-03-29T00:59:59Z"));
    expect(runs.calls).toEqual([]);
    await r.tick(at("2026-03-29T01:00:00Z"));
    expect(runs.calls.map((c) => c.run_id)).toEqual(["s:2026-03-29T01:00:00Z"]);
  });

  it("starts the schedule's target with its variables (goal, plan, workflow with inputs)", async () => {
    const plan = { tasks: [{ id: "w", action_type: "wait", action_config: { seconds: 0 } }] };
    for (const target of [{ goal: "say hi" }, { plan }, { workflow: "data_pipeline", inputs: { sourceUrl: "http://x" } }]) {
      const { store, runs } = await withSchedule({ goal: undefined, ...target, variables: { n: 1 } });
      await runner(store, runs).tick(at("2026-01-02T02:00:00Z"));
      expect(runs.calls).toEqual([
        { ...target, variables: { n: 1 }, run_id: "s:2026-01-02T02:00:00Z", schedule_id: "s", fire_at: "2026-01-02T02:00:00.000Z" },
      ]);
    }
  });

  it("never throws from a tick: a run that cannot start is a failed firing, a store that fails is logged, and the next tick goes on", async () => {
    const { store, runs } = await withSchedule({});
    const errors: unknown[] = [];
    const logger = { ...silentLogger(), error: (o: object | string) => void errors.push(o) };
    const r = runner(store, runs, { logger, startRun: async () => Promise.reject(new WorkflowError(ErrorCode.GoalNotUnderstood, "no")) });
    await r.tick(at("2026-01-02T02:00:00Z"));
    expect((await store.firings("s"))[0]?.outcome).toBe("failed");
    const broken = Object.assign(Object.create(store) as ScheduleStore, { list: () => Promise.reject(new Error("database gone")) });
    await runner(broken, runs, { logger }).tick(at("2026-01-03T02:00:00Z"));
    expect(errors).toHaveLength(2);
    expect(errors[1]).toMatchObject({ err: "database gone" });
  });

  it("its timer ticks at the next due time, and stop() ends it", async () => {
    const { store, runs } = await withSchedule({ cron: "* * * * * *", overlap: "allow", catch_up: "none" }, new MemoryScheduleStore());
    await store.recordFired("s", new Date(Math.floor(Date.now() / 1000) * 1000));
    const r = runner(store, runs, { pollSeconds: 30 });
    r.start();
    await expect.poll(() => runs.calls.length, { timeout: 5000, interval: 20 }).toBeGreaterThanOrEqual(2);
    await r.stop();
    const count = runs.calls.length;
    const ids = runs.calls.map((c) => c.run_id);
    expect(new Set(ids).size).toBe(ids.length);
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs.calls).toHaveLength(count);
  });
});
