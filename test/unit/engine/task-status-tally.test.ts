import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TaskStatusTally } from "../../../src/engine/task-status-tally.js";
import { type TaskStatus, TaskStatus as Statuses } from "../../../src/model/task-state.js";

/** Counting from scratch, as `runs history` did: statuses in the order of the first task (map order) having each. */
function naive(tasks: Record<string, { status: TaskStatus }>): Partial<Record<TaskStatus, number>> {
  const out: Partial<Record<TaskStatus, number>> = {};
  for (const t of Object.values(tasks)) out[t.status] = (out[t.status] ?? 0) + 1;
  return out;
}

// Ids that JS objects order first (array indices) mixed with ones kept in insertion order.
const id = fc.constantFrom("a", "b", "c", "zz", "0", "2", "10", "4294967294", "4294967295", "01");
const batch = fc.array(fc.tuple(id, fc.constantFrom(...Statuses)), { minLength: 1, maxLength: 5 });

describe("TaskStatusTally", () => {
  it("counts like a count over the map after every batch, key order included", () => {
    fc.assert(
      fc.property(fc.array(batch, { maxLength: 40 }), fc.nat({ max: 40 }), (batches, resetAt) => {
        const tasks: Record<string, { status: TaskStatus }> = {};
        const tally = new TaskStatusTally();
        for (const [i, writes] of batches.entries()) {
          for (const [key, status] of writes) tasks[key] = { status };
          if (i === resetAt) tally.reset(tasks);
          else
            tally.update(
              tasks,
              writes.map(([key]) => key),
            );
          expect(JSON.stringify(tally.counts())).toBe(JSON.stringify(naive(tasks)));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("starts empty", () => {
    expect(new TaskStatusTally().counts()).toEqual({});
  });
});
