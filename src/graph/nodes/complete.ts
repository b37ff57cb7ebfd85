import type { RunStatus, TaskState } from "../../model/task-state.js";
import type { WorkflowStateUpdate, WorkflowStateValue } from "../workflow-state.js";
import type { GraphDeps } from "../graph-deps.js";

/** The final status: failed if anything failed (or the run was failed), with errors if anything was skipped. */
export function finalStatus(tasks: readonly TaskState[], current: RunStatus): RunStatus {
  if (current === "failed" || tasks.some((t) => t.status === "failed")) return "failed";
  if (tasks.some((t) => t.status !== "completed")) return "completed_with_errors";
  return "completed";
}

/** `complete`: wait for cancelled tasks to settle, then seal the run's status. */
export function completeNode(deps: GraphDeps) {
  return async (state: WorkflowStateValue): Promise<WorkflowStateUpdate> => {
    const rt = deps.runtime(state.context.workflow_id);
    await rt.settle();
    const status = finalStatus(Object.values(state.tasks), state.context.status);
    const at = new Date(deps.now()).toISOString();
    rt.emitAfterCommit({ type: "run_completed", status });
    return { context: { status, finished_at: at }, history: [{ at, event: "run_completed", detail: status }] };
  };
}
