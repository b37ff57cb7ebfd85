import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type DagLayout, type LayoutTask, layoutDag } from "../../../web/dashboard/dag-layout.js";

/** A random DAG: each task may depend on tasks listed before it. */
const dag = (max: number) =>
  fc.array(fc.array(fc.nat(), { maxLength: 3 }), { minLength: 1, maxLength: max }).map((deps) =>
    deps.map(
      (picks, i): LayoutTask => ({
        id: `t${i}`,
        width: 90 + (i % 3) * 20,
        dependencies: i === 0 ? [] : [...new Set(picks.map((p) => `t${p % i}`))],
      }),
    ),
  );

function expectDependenciesLeftOfDependents(tasks: LayoutTask[], laid: DagLayout): void {
  for (const t of tasks) {
    const box = laid.boxes.get(t.id);
    expect(box).toBeDefined();
    for (const d of t.dependencies) {
      const dep = laid.boxes.get(d);
      expect((dep?.x ?? 0) + (dep?.width ?? 0)).toBeLessThanOrEqual(box?.x ?? 0);
    }
    expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(laid.width);
  }
}

describe("the dashboard's DAG layout", () => {
  it("small plans (dagre): every dependency sits left of its dependents, one edge per dependency", () => {
    fc.assert(
      fc.property(dag(12), (tasks) => {
        const laid = layoutDag(tasks, 44);
        expectDependenciesLeftOfDependents(tasks, laid);
        expect(laid.edges.length).toBe(tasks.reduce((n, t) => n + t.dependencies.length, 0));
      }),
      { numRuns: 30 },
    );
  });

  it("large plans (layered): the same order, and 1,000 tasks in well under a second", () => {
    fc.assert(
      fc.property(dag(300), (tasks) => {
        const laid = layoutDag(tasks, 44);
        expectDependenciesLeftOfDependents(tasks, laid);
      }),
      { numRuns: 20 },
    );
    const chain: LayoutTask[] = Array.from({ length: 1000 }, (_, i) => ({
      id: `t${i}`,
      width: 100,
      dependencies: i === 0 ? [] : [`t${Math.floor((i - 1) / 4)}`, ...(i > 5 ? [`t${i - 5}`] : [])],
    }));
    const start = performance.now();
    const laid = layoutDag(chain, 44);
    expect(performance.now() - start).toBeLessThan(500);
    expectDependenciesLeftOfDependents(chain, laid);
  });
});
