import { completeRun } from "../../scheduler/complete.js";
import type { GraphDeps } from "../graph-deps.js";
import type { WorkflowStateUpdate, WorkflowStateValue } from "../workflow-state.js";

/** `complete`: wait for cancelled attempts to settle, then seal the run's status. */
export function completeNode(deps: GraphDeps) {
  return (state: WorkflowStateValue): Promise<WorkflowStateUpdate> => completeRun(state, deps.loop(state.context.workflow_id), deps.now);
}
