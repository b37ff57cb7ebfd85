import { END } from "@langchain/langgraph";
import { indexOf } from "../scheduler/task-index.js";
import type { WorkflowStateValue } from "./workflow-state.js";

export const Node = {
  plan: "plan",
  decide: "decide",
  execute: "execute",
  handleFailure: "handle_failure",
  complete: "complete",
} as const;

/** After decide: execute while anything runs or waits to run, else complete. */
export function afterDecide(state: WorkflowStateValue): typeof Node.execute | typeof Node.complete {
  const index = indexOf(state.tasks);
  const open = index.running.size + index.pending.size > 0;
  return open && state.context.status !== "failed" ? Node.execute : Node.complete;
}

/**
 * After execute: failed attempts go to the failure node; a cancelled run completes. While tasks run,
 * execute loops on itself (it starts dependents itself); decide is needed when nothing runs or a
 * retry is waiting for its time.
 */
export function afterExecute(
  state: WorkflowStateValue,
): typeof Node.handleFailure | typeof Node.complete | typeof Node.decide | typeof Node.execute {
  if (state.pending_failures.length > 0) return Node.handleFailure;
  if (state.context.status === "failed") return Node.complete;
  const index = indexOf(state.tasks);
  if (index.retryWaiting.size > 0) return Node.decide;
  return index.running.size > 0 ? Node.execute : Node.decide;
}

/** After the failure node: a failed run completes; otherwise scheduling goes on. */
export function afterFailure(state: WorkflowStateValue): typeof Node.complete | typeof Node.decide {
  return state.context.status === "failed" ? Node.complete : Node.decide;
}

/** After complete: the end, unless the run has just begun its rollback (the compensations are to be scheduled). */
export function afterComplete(state: WorkflowStateValue): typeof Node.decide | typeof END {
  return state.context.finished_at ? END : Node.decide;
}
