import type { RunStatus, TaskState } from "../model/task-state.js";
import type { RunLoop } from "./run-loop.js";
import type { RunView, StepUpdate } from "./run-view.js";

/** The final status: failed if anything failed (or the run was failed), with errors if anything was skipped. */
function finalStatus(tasks: readonly TaskState[], current: RunStatus): RunStatus {
  if (current === "failed" || tasks.some((t) => t.status === "failed")) return "failed";
  // A task skipped by a condition did what the workflow said: not an error.
  if (tasks.some((t) => t.status !== "completed" && t.skipped_by !== "condition")) return "completed_with_errors";
  return "completed";
}

/** End the run: wait for cancelled attempts to settle, then seal its status. */
export async function completeRun(view: RunView, loop: RunLoop, now: () => number): Promise<StepUpdate> {
  await loop.settle();
  const status = finalStatus(Object.values(view.tasks), view.context.status);
  const at = new Date(now()).toISOString();
  loop.events.emitAfterCommit({ type: "run_completed", status });
  return { context: { status, finished_at: at }, history: [{ at, event: "run_completed", detail: status }] };
}
