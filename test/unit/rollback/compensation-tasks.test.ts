import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { TaskState } from "../../../src/model/task-state.js";
import { compensationTasks } from "../../../src/scheduler/rollback.js";

const task = (id: string, deps: string[], extra: Partial<TaskState> = {}): TaskState => ({
  id,
  action_type: "wait",
  action_config: { ms: 0 },
  dependencies: deps,
  status: "completed",
  attempts: 1,
  ...extra,
});
const undoable = {
  compensate: { action_type: "api_call" as const, action_config: { method: "DELETE", url: "http://x/{{self.data.id}}" } },
};

describe("compensation tasks", () => {
  it("undo a task after the compensations of its nearest undoable dependents, through tasks with nothing to undo", () => {
    const tasks = {
      a: task("a", [], undoable),
      b: task("b", ["a"]), // nothing to undo: its dependents' undos come first anyway
      c: task("c", ["b"], undoable),
      d: task("d", ["a"], { undo: { path: "f.txt", existed: false } }),
      e: task("e", ["c"], { status: "failed" }),
      f: task("f", [], { ...undoable, status: "skipped" }),
    };
    const undo = compensationTasks(tasks);
    expect(Object.keys(undo).sort()).toEqual(["undo:a", "undo:c", "undo:d"]);
    expect(new Set(undo["undo:a"]?.dependencies)).toEqual(new Set(["a", "undo:c", "undo:d"]));
    expect(undo["undo:c"]?.dependencies).toEqual(["c"]);
    expect(undo["undo:d"]?.action_config).toEqual({ operation: "delete", path: "f.txt" });
    expect(undo["undo:a"]?.action_config).toEqual({ method: "DELETE", url: "http://x/{{a.data.id}}" });
    expect(undo["undo:a"]).toMatchObject({ compensates: "a", on_failure: "skip", status: "pending" });
  });

  it("a file too large to keep is named as not undoable (skipped with the reason)", () => {
    const undo = compensationTasks({
      big: task("big", [], { undo: { path: "big.bin", existed: true, unavailable: "it was 2000000 bytes" } }),
    });
    expect(undo["undo:big"]).toMatchObject({ status: "skipped", skip_reason: "big.bin cannot be restored: it was 2000000 bytes" });
  });

  it("on any DAG, each compensation waits for the compensation of every undoable task downstream of its task (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.array(fc.nat(), { maxLength: 3 })), { minLength: 1, maxLength: 25 }), (spec) => {
        const tasks: Record<string, TaskState> = {};
        spec.forEach(([canUndo, deps], i) => {
          const dependencies = [...new Set(deps.filter((d) => d < i).map((d) => `t${d}`))];
          tasks[`t${i}`] = task(`t${i}`, dependencies, canUndo ? undoable : {});
        });
        const undo = compensationTasks(tasks);
        const before = (id: string): Set<string> => {
          const seen = new Set<string>();
          const stack = [id];
          while (stack.length) {
            for (const d of undo[stack.pop() as string]?.dependencies ?? []) {
              if (seen.has(d)) continue;
              seen.add(d);
              stack.push(d);
            }
          }
          return seen;
        };
        const downstream = (id: string): string[] =>
          Object.values(tasks)
            .filter((t) => t.dependencies.includes(id))
            .flatMap((t) => [t.id, ...downstream(t.id)]);
        for (const u of Object.values(undo)) {
          const waits = before(u.id);
          for (const d of downstream(u.compensates as string)) if (undo[`undo:${d}`]) expect(waits.has(`undo:${d}`)).toBe(true);
        }
      }),
    );
  });
});
