import { type BaseCheckpointSaver, END, type LangGraphRunnableConfig, START, StateGraph } from "@langchain/langgraph";
import { ClientInput } from "./client-input.js";
import { skipRunTreesWhenUntraced } from "./untraced-context.js";
import { runViewOf, WorkflowInput, WorkflowState, type WorkflowStateValue } from "./workflow-state.js";
import { type GraphDeps, loopKey } from "./graph-deps.js";
import { completeNode } from "./nodes/complete.js";
import { decideNode } from "./nodes/decide.js";
import { executeNode } from "./nodes/execute.js";
import { handleFailureNode } from "./nodes/handle-failure.js";
import { planNode } from "./nodes/plan.js";
import { afterComplete, afterDecide, afterExecute, afterFailure, Node } from "./routes.js";

/**
 * Every node first releases the events of the previous step: a node starts only after the previous
 * step's checkpoint is written, so an event such as "task completed" is never seen before it is durable.
 */
function afterCommit<R>(deps: GraphDeps, node: NodeFn<R>): NodeFn<R> {
  return (stored, config) => {
    const state = runViewOf(stored);
    const events = deps.loop(loopKey(state, config)).events;
    // The run's events also go to LangGraph's `custom` stream mode (Studio, the Agent Server) while the node runs.
    const writer = config?.writer;
    const unsubscribe = writer ? events.subscribe((e) => writer(e)) : undefined;
    events.flush();
    if (!unsubscribe) return node(state, config);
    try {
      const out = node(state, config);
      if (out instanceof Promise) return out.finally(unsubscribe) as R;
      unsubscribe();
      return out;
    } catch (error) {
      unsubscribe();
      throw error;
    }
  };
}

type NodeFn<R> = (state: WorkflowStateValue, config?: LangGraphRunnableConfig) => R;

/**
 * The workflow graph: plan -> decide -> execute (looping while tasks run; -> handle_failure) -> complete.
 * `clientInput`: the graph is served to clients (the Agent Server), whose input is parsed by ClientInput
 * rather than taken as the engine's own trusted input.
 */
export function buildGraph(deps: GraphDeps, options: { checkpointer?: BaseCheckpointSaver; clientInput?: boolean } = {}) {
  const { checkpointer } = options;
  skipRunTreesWhenUntraced();
  return new StateGraph({ stateSchema: WorkflowState, input: options.clientInput ? ClientInput : WorkflowInput })
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
    .addConditionalEdges(Node.complete, afterComplete, [Node.decide, END])
    .compile(checkpointer ? { checkpointer } : {});
}

export type WorkflowGraph = ReturnType<typeof buildGraph>;
