import { Annotation, END, Send, START, StateGraph } from "@langchain/langgraph";
import type { BenchTask } from "./dags.js";

/**
 * The naive LangGraph way to run a DAG: a decide node fans ready tasks out with Send, each runs in
 * the same superstep, and decide runs again only when the whole superstep has ended.
 */
function buildBareLoop(tasks: readonly BenchTask[]) {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const State = Annotation.Root({
    done: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
  });
  const route = (state: typeof State.State) => {
    const done = new Set(state.done);
    const ready = tasks.filter((t) => !done.has(t.id) && t.dependencies.every((d) => done.has(d)));
    return ready.length ? ready.map((t) => new Send("execute", { id: t.id })) : END;
  };
  return new StateGraph(State)
    .addNode("decide", () => ({}))
    .addNode("execute", async (input: { id: string }) => {
      const ms = byId.get(input.id)?.ms ?? 0;
      if (ms > 0) await new Promise((r) => setTimeout(r, ms));
      return { done: [input.id] };
    })
    .addEdge(START, "decide")
    .addConditionalEdges("decide", route, ["execute", END])
    .addEdge("execute", "decide")
    .compile();
}

/** Run the bare loop over the DAG; returns wall time in ms. */
export async function runBareLoop(tasks: readonly BenchTask[]): Promise<number> {
  const graph = buildBareLoop(tasks);
  const start = performance.now();
  await graph.invoke({}, { recursionLimit: 100_000 });
  return performance.now() - start;
}
