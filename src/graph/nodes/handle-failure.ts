import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { handleFailures } from "../../scheduler/handle-failures.js";
import { type GraphDeps, loopKey } from "../graph-deps.js";
import type { WorkflowStateUpdate, WorkflowStateValue } from "../workflow-state.js";

/** `handle_failure`: retry, modify, skip or fail each failed attempt (src/scheduler/handle-failures.ts). */
export function handleFailureNode(deps: GraphDeps) {
  return (state: WorkflowStateValue, config?: LangGraphRunnableConfig): Promise<WorkflowStateUpdate> =>
    handleFailures(state, deps.loop(loopKey(state, config)), { advise: deps.advise, now: deps.now, random: deps.random });
}
