import { type BaseCheckpointSaver, END, START, StateGraph } from "@langchain/langgraph";
import { WorkflowState } from "../state/workflow-state.js";
import type { GraphDeps } from "./graph-deps.js";
import { completeNode } from "./nodes/complete.js";
import { decideNode } from "./nodes/decide.js";
import { executeNode } from "./nodes/execute.js";
import { handleFailureNode } from "./nodes/handle-failure.js";
import { planNode } from "./nodes/plan.js";
import { afterDecide, afterExecute, afterFailure, Node } from "./routes.js";

/** The workflow graph: plan -> decide -> execute (looping while tasks run; -> handle_failure) -> complete. */
export function buildGraph(deps: GraphDeps, checkpointer?: BaseCheckpointSaver) {
  return new StateGraph(WorkflowState)
    .addNode(Node.plan, planNode(deps))
    .addNode(Node.decide, decideNode(deps))
    .addNode(Node.execute, executeNode(deps))
    .addNode(Node.handleFailure, handleFailureNode(deps))
    .addNode(Node.complete, completeNode(deps))
    .addEdge(START, Node.plan)
    .addEdge(Node.plan, Node.decide)
    .addConditionalEdges(Node.decide, afterDecide, [Node.execute, Node.complete])
    .addConditionalEdges(Node.execute, afterExecute, [Node.handleFailure, Node.complete, Node.decide, Node.execute])
    .addConditionalEdges(Node.handleFailure, afterFailure, [Node.complete, Node.decide])
    .addEdge(Node.complete, END)
    .compile(checkpointer ? { checkpointer } : {});
}

export type WorkflowGraph = ReturnType<typeof buildGraph>;
