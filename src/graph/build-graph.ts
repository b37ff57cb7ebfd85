import { type BaseCheckpointSaver, END, START, StateGraph } from "@langchain/langgraph";
import { WorkflowState, type WorkflowStateValue } from "./workflow-state.js";
import type { GraphDeps } from "./graph-deps.js";
import { completeNode } from "./nodes/complete.js";
import { decideNode } from "./nodes/decide.js";
import { executeNode } from "./nodes/execute.js";
import { handleFailureNode } from "./nodes/handle-failure.js";
import { planNode } from "./nodes/plan.js";
import { afterDecide, afterExecute, afterFailure, Node } from "./routes.js";

/**
 * Every node first releases the events of the previous step: a node starts only after the previous
 * step's checkpoint is written, so an event such as "task completed" is never seen before it is durable.
 */
function afterCommit<R>(deps: GraphDeps, node: (state: WorkflowStateValue) => R): (state: WorkflowStateValue) => R {
  return (state) => {
    deps.loop(state.context.workflow_id).events.flush();
    return node(state);
  };
}

/** The workflow graph: plan -> decide -> execute (looping while tasks run; -> handle_failure) -> complete. */
export function buildGraph(deps: GraphDeps, checkpointer?: BaseCheckpointSaver) {
  return new StateGraph(WorkflowState)
    .addNode(Node.plan, afterCommit(deps, planNode(deps)))
    .addNode(Node.decide, afterCommit(deps, decideNode(deps)))
    .addNode(Node.execute, afterCommit(deps, executeNode(deps)))
    .addNode(Node.handleFailure, afterCommit(deps, handleFailureNode(deps)))
    .addNode(Node.complete, afterCommit(deps, completeNode(deps)))
    .addEdge(START, Node.plan)
    .addEdge(Node.plan, Node.decide)
    .addConditionalEdges(Node.decide, afterDecide, [Node.execute, Node.complete])
    .addConditionalEdges(Node.execute, afterExecute, [Node.handleFailure, Node.complete, Node.decide, Node.execute])
    .addConditionalEdges(Node.handleFailure, afterFailure, [Node.complete, Node.decide])
    .addEdge(Node.complete, END)
    .compile(checkpointer ? { checkpointer } : {});
}

export type WorkflowGraph = ReturnType<typeof buildGraph>;
