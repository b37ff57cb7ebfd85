import { handleFailures } from "../../scheduler/handle-failures.js";
import type { GraphDeps } from "../graph-deps.js";
import type { WorkflowStateUpdate, WorkflowStateValue } from "../workflow-state.js";

/** `handle_failure`: retry, modify, skip or fail each failed attempt (src/scheduler/handle-failures.ts). */
export function handleFailureNode(deps: GraphDeps) {
  return (state: WorkflowStateValue): Promise<WorkflowStateUpdate> =>
    handleFailures(state, deps.loop(state.context.workflow_id), { advise: deps.advise, now: deps.now, random: deps.random });
}
