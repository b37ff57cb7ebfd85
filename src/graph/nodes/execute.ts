import { executeStep } from "../../scheduler/execute.js";
import type { GraphDeps } from "../graph-deps.js";
import type { WorkflowStateUpdate, WorkflowStateValue } from "../workflow-state.js";

/** `execute`: launch what decide marked, record the next outcomes, start what they unblocked (src/scheduler/execute.ts). */
export function executeNode(deps: GraphDeps) {
  return (state: WorkflowStateValue): Promise<WorkflowStateUpdate> =>
    executeStep(state, deps.loop(state.context.workflow_id), { now: deps.now, startEagerly: deps.startEagerly });
}
