import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { completeRun } from "../../scheduler/complete.js";
import { type GraphDeps, loopKey } from "../graph-deps.js";
import type { WorkflowStateUpdate, WorkflowStateValue } from "../workflow-state.js";

/** `complete`: wait for cancelled attempts to settle, then seal the run's status. */
export function completeNode(deps: GraphDeps) {
  return async (state: WorkflowStateValue, config?: LangGraphRunnableConfig): Promise<WorkflowStateUpdate> => {
    const key = loopKey(state, config);
    const update = await completeRun(state, deps.loop(key), deps.now);
    // A run that begins its rollback goes on (the loop is still needed).
    if (update.context?.finished_at) deps.release?.(key);
    return update;
  };
}
