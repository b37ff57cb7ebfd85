import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { executeStep } from "../../scheduler/execute.js";
import { type GraphDeps, loopKey } from "../graph-deps.js";
import type { WorkflowStateUpdate, WorkflowStateValue } from "../workflow-state.js";

/** `execute`: launch what decide marked, record the next outcomes, start what they unblocked (src/scheduler/execute.ts). */
export function executeNode(deps: GraphDeps) {
  return (state: WorkflowStateValue, config?: LangGraphRunnableConfig): Promise<WorkflowStateUpdate> =>
    executeStep(state, deps.loop(loopKey(state, config)), { now: deps.now, startEagerly: deps.startEagerly });
}
