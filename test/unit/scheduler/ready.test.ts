import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { criticalPath, nextRetryAt, selectBlocked, selectReady, transitiveDependents } from "../../../src/scheduler/ready.js";
import { applyPatch, indexOf } from "../../../src/scheduler/task-index.js";
import type { TaskState, TaskStatus } from "../../../src/model/task-state.js";

function task(id: string, dependencies: string[] = [], status: TaskStatus = "pending", extra: Partial<TaskState> = {}): TaskState {
  return { id, action_type: "wait", action_config: { ms: 0 }, dependencies, status, attempts: 0, ...extra };
}
const map = (...tasks: TaskState[]) => Object.fromEntries(tasks.map((t) => [t.id, t]));

/** A random DAG: task i may depend only on tasks before it. */
const dagArb = fc
  .array(fc.array(fc.nat(), { maxLength: 3 }), { minLength: 1, maxLength: 30 })
  .map((lists) => lists.map((deps, i) => task(`t${i}`, i === 0 ? [] : [...new Set(deps.map((d) => `t${d % i}`))])));

describe("selectReady", () => {
  it("starts only tasks whose dependencies all completed", () => {
    const tasks = map(task("a", [], "completed"), task("b", ["a"]), task("c", ["a", "b"]), task("d"));
    expect(selectReady(tasks, 8, 0)).toEqual(["b", "d"]);
  });

  it("respects the concurrency limit, counting running tasks", () => {
    const tasks = map(task("r", [], "running"), task("a"), task("b"), task("c"));
    expect(selectReady(tasks, 3, 0)).toEqual(["a", "b"]);
    expect(selectReady(tasks, 1, 0)).toEqual([]);
  });

  it("waits for a retry's time", () => {
    const tasks = map(task("a", [], "pending", { retry_at: 1000 }), task("b", [], "pending", { retry_at: 500 }));
    expect(selectReady(tasks, 8, 600)).toEqual(["b"]);
    expect(nextRetryAt(tasks)).toBe(500);
  });

  it("property: simulating the scheduler runs every task once, after its dependencies, within the limit", () => {
    fc.assert(
      fc.property(dagArb, fc.integer({ min: 1, max: 6 }), (list, concurrency) => {
        const tasks = map(...list);
        const order: string[] = [];
        for (let step = 0; step < 200 && order.length < list.length; step++) {
          for (const id of selectReady(tasks, concurrency, 0)) applyPatch(tasks, id, { status: "running" });
          const running = Object.values(tasks).filter((t) => t.status === "running");
          expect(running.length).toBeLessThanOrEqual(concurrency);
          const done = running[0] as TaskState;
          for (const d of done.dependencies) expect(order).toContain(d);
          order.push(done.id);
          applyPatch(tasks, done.id, { status: "completed" });
        }
        expect([...order].sort()).toEqual(list.map((t) => t.id).sort());
      }),
    );
  });
});

describe("task index", () => {
  it("property: kept in step by patches, it matches an index rebuilt from scratch", () => {
    const statusArb = fc.constantFrom<TaskStatus>("pending", "running", "completed", "failed", "skipped");
    fc.assert(
      fc.property(
        dagArb,
        fc.array(fc.tuple(fc.nat(), statusArb, fc.option(fc.nat(), { nil: undefined })), { maxLength: 60 }),
        (list, patches) => {
          const tasks = map(...list);
          indexOf(tasks); // build first, then keep it in step
          for (const [n, status, retry] of patches) applyPatch(tasks, `t${n % list.length}`, { status, retry_at: retry });
          const live = indexOf(tasks);
          const fresh = indexOf({ ...tasks });
          for (const key of ["running", "pending", "retryWaiting", "ready"] as const)
            expect([...live[key]].sort()).toEqual([...fresh[key]].sort());
        },
      ),
    );
  });

  it("an overlay of this step's patches is read without copying the map", () => {
    const tasks = map(task("a", [], "running"), task("b", ["a"]), task("c", ["a"]), task("d"));
    expect(selectReady(tasks, 8, 0)).toEqual(["d"]);
    expect(selectReady(tasks, 8, 0, { a: { status: "completed" } })).toEqual(["b", "c", "d"]);
    expect(selectReady(tasks, 2, 0, { a: { status: "completed" } })).toEqual(["b", "c"]);
    expect(selectReady(tasks, 8, 0, { a: { status: "failed" } })).toEqual(["d"]);
  });
});

describe("dependents and blocking", () => {
  it("finds transitive dependents", () => {
    const tasks = map(task("a"), task("b", ["a"]), task("c", ["b"]), task("d", ["a", "c"]), task("e"));
    expect(transitiveDependents(tasks, "a").sort()).toEqual(["b", "c", "d"]);
    expect(transitiveDependents(tasks, "e")).toEqual([]);
  });

  it("reports pending tasks that can never start", () => {
    const tasks = map(task("a", [], "skipped"), task("b", ["a"]), task("c", [], "failed"), task("d", ["c"]), task("e"));
    expect(selectBlocked(tasks)).toEqual([
      { id: "b", blocker: "a", byCondition: false },
      { id: "d", blocker: "c", byCondition: false },
    ]);
  });
});

describe("criticalPath", () => {
  it("is the longest weighted chain", () => {
    const tasks = [task("slow"), task("c1"), task("c2", ["c1"]), task("c3", ["c2"])];
    const weights: Record<string, number> = { slow: 500, c1: 100, c2: 100, c3: 100 };
    expect(criticalPath(tasks, (t) => weights[t.id] ?? 0)).toBe(500);
    weights.c3 = 400;
    expect(criticalPath(tasks, (t) => weights[t.id] ?? 0)).toBe(600);
  });
});
