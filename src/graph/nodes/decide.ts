import { interrupt, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { type ApprovalDecision, approvalRequest } from "../../safety/approval/approval.js";
import { applyApproval, selectToStart, startSelected } from "../../scheduler/decide.js";
import { type GraphDeps, loopKey } from "../graph-deps.js";
import type { WorkflowStateUpdate, WorkflowStateValue } from "../workflow-state.js";

/**
 * `decide`: mark the tasks that may start as running (src/scheduler/decide.ts). When only tasks waiting for
 * approval are left and nothing runs, the run pauses (LangGraph `interrupt()`) until a person decides. This
 * node has no side effects before the interrupt, so resuming (which runs the node again) repeats nothing.
 */
export function decideNode(deps: GraphDeps) {
  return (state: WorkflowStateValue, config?: LangGraphRunnableConfig): WorkflowStateUpdate => {
    const now = deps.now();
    const selection = selectToStart(state, deps.loop(loopKey(state, config)), now);
    if (selection.ask) {
      const decision = interrupt<ReturnType<typeof approvalRequest>, ApprovalDecision>(approvalRequest(selection.ask));
      applyApproval(state, selection, decision, now);
    }
    return startSelected(state, selection, now);
  };
}
