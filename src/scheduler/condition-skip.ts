import type { TaskState } from "../model/task-state.js";
import type { EventOutbox } from "./event-outbox.js";
import type { RunView, StepChanges } from "./run-view.js";
import { indexOf } from "./task-index.js";
import { markSkipped } from "./transitions.js";

/**
 * The task's `when` was false: it ends `skipped` (skipped_by "condition"), which is not an error. Its dependents
 * follow the rule: skipped too (by the condition, transitively) unless they opt in with
 * `on_dependency_skipped: "run"`, in which case they run once their other dependencies allow it.
 */
export function skipByCondition(view: RunView, step: StepChanges, task: TaskState, reason: string, at: string, events: EventOutbox): void {
  markSkipped(step, task.id, reason, at, true);
  step.tasks[task.id] = { ...step.tasks[task.id], finished_at: at };
  events.emitAfterCommit({ type: "task_skipped", task_id: task.id, action_type: task.action_type, detail: reason });
  const index = indexOf(view.tasks);
  const queue = [task.id];
  while (queue.length > 0) {
    const skipped = queue.shift() as string;
    for (const d of index.dependentsOf(skipped)) {
      const dep = view.tasks[d];
      if (!dep || dep.status !== "pending" || step.tasks[d]?.status === "skipped" || dep.on_dependency_skipped === "run") continue;
      const why = `condition: dependency "${skipped}" was skipped by its condition`;
      markSkipped(step, d, why, at, true);
      events.emitAfterCommit({ type: "task_skipped", task_id: d, action_type: dep.action_type, detail: why });
      queue.push(d);
    }
  }
}
