import type { WorkflowStateValue } from "../state/workflow-state.js";

export const Node = {
  plan: "plan",
  decide: "decide",
  execute: "execute",
  handleFailure: "handle_failure",
  complete: "complete",
} as const;

/** After decide: execute while anything runs or waits to run, else complete. */
export function afterDecide(state: WorkflowStateValue): typeof Node.execute | typeof Node.complete {
  const open = Object.values(state.tasks).some((t) => t.status === "running" || t.status === "pending");
  return open && state.context.status !== "failed" ? Node.execute : Node.complete;
}

/** After execute: failed attempts go to the failure node; a cancelled run completes; else decide again. */
export function afterExecute(
  state: WorkflowStateValue,
): typeof Node.handleFailure | typeof Node.complete | typeof Node.decide {
  if (state.pending_failures.length > 0) return Node.handleFailure;
  return state.context.status === "failed" ? Node.complete : Node.decide;
}

/** After the failure node: a failed run completes; otherwise scheduling goes on. */
export function afterFailure(state: WorkflowStateValue): typeof Node.complete | typeof Node.decide {
  return state.context.status === "failed" ? Node.complete : Node.decide;
}
