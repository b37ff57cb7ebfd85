import type { RunStatus, TaskState } from "../model/task-state.js";
import type { RunLoop } from "./run-loop.js";
import type { RunView, StepUpdate } from "./run-view.js";
import { rollbackOutcome, startRollback } from "./rollback.js";

/** The final status: failed if anything failed (or the run was failed), with errors if anything was skipped. */
function finalStatus(tasks: readonly TaskState[], current: RunStatus): RunStatus {
  if (current === "failed" || tasks.some((t) => t.status === "failed")) return "failed";
  // A task skipped by a condition did what the workflow said: not an error.
  if (tasks.some((t) => t.status !== "completed" && t.skipped_by !== "condition")) return "completed_with_errors";
  return "completed";
}

/**
 * End the run: wait for cancelled attempts to settle, then seal its status. A run that failed under the policy
 * "compensate" is not sealed yet: its rollback starts (the compensation tasks are added and the run goes on);
 * when they have run it ends rolled_back or rollback_failed.
 */
export async function completeRun(view: RunView, loop: RunLoop, now: () => number): Promise<StepUpdate> {
  await loop.settle();
  const at = new Date(now()).toISOString();
  if (view.context.phase === "rollback") {
    const { status, error } = rollbackOutcome(view);
    loop.events.emitAfterCommit({ type: "run_completed", status, ...(error ? { error } : {}) });
    return { context: { status, finished_at: at, ...(error ? { error } : {}) }, history: [{ at, event: "run_completed", detail: status }] };
  }
  const status = finalStatus(Object.values(view.tasks), view.context.status);
  if (status === "failed" && view.context.on_failure === "compensate") return beginRollback(view, loop, at, "the run failed");
  loop.events.emitAfterCommit({ type: "run_completed", status });
  return { context: { status, finished_at: at }, history: [{ at, event: "run_completed", detail: status }] };
}

/** Undo what completed: the loop takes new attempts again (a failure cancelled it), and the compensations are added. */
function beginRollback(view: RunView, loop: RunLoop, at: string, why: string): StepUpdate {
  loop.reopen();
  const update = startRollback(view, at, why);
  loop.events.emitAfterCommit({ type: "rollback_started", detail: update.history?.[0]?.detail ?? why });
  return update;
}
