import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";
import { Annotation, getConfig, MemorySaver, StateGraph } from "@langchain/langgraph";
import { afterEach, describe, expect, it } from "vitest";
import { skipRunTreesWhenUntraced } from "../../../src/graph/untraced-context.js";

// What a node sees of the async context: the store LangGraph's runWithConfig set, and getConfig().
/** LangSmith's RunTree, by its class name (langsmith is @langchain/core's dependency, not ours). */
const isRunTree = (store: unknown) => (store as { constructor?: { name?: string } } | undefined)?.constructor?.name === "RunTree";

const State = Annotation.Root({ seen: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }) });
function probeGraph() {
  return new StateGraph(State)
    .addNode("probe", (_state, config) => {
      const store = AsyncLocalStorageProviderSingleton.getInstance().getStore();
      const kind = isRunTree(store) ? "RunTree" : "plain";
      const same = getConfig().configurable?.thread_id === config.configurable?.thread_id ? "config" : "other";
      return { seen: [kind, same] };
    })
    .addEdge("__start__", "probe")
    .compile({ checkpointer: new MemorySaver() });
}

const saved = process.env.LANGSMITH_TRACING;
afterEach(() => {
  if (saved === undefined) delete process.env.LANGSMITH_TRACING;
  else process.env.LANGSMITH_TRACING = saved;
});

describe("skipRunTreesWhenUntraced", () => {
  it("with tracing off, nodes run without a LangSmith RunTree and getConfig() still reads their config", async () => {
    skipRunTreesWhenUntraced();
    delete process.env.LANGSMITH_TRACING;
    const out = await probeGraph().invoke({}, { configurable: { thread_id: "t-off" } });
    expect(out.seen).toEqual(["plain", "config"]);
  });

  it("with tracing on, the framework's own path runs untouched (it makes a RunTree)", () => {
    skipRunTreesWhenUntraced();
    const storeKind = () =>
      AsyncLocalStorageProviderSingleton.runWithConfig({ configurable: { thread_id: "t" } }, () =>
        isRunTree(AsyncLocalStorageProviderSingleton.getInstance().getStore()) ? "RunTree" : "plain",
      );
    delete process.env.LANGSMITH_TRACING;
    expect(storeKind()).toBe("plain");
    // Only the context is set up here: no run is traced, so nothing is sent anywhere.
    process.env.LANGSMITH_TRACING = "true";
    expect(storeKind()).toBe("RunTree");
  });
});
