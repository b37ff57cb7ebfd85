import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";

/** Where @langchain/core keeps a runnable's config in the async context, and the context variables. */
const CHILD_CONFIG = Symbol.for("lc:child_config");
const CONTEXT_VARIABLES = Symbol.for("lc:context_variables");
const TRACING_VARIABLES = ["LANGSMITH_TRACING_V2", "LANGCHAIN_TRACING_V2", "LANGSMITH_TRACING", "LANGCHAIN_TRACING"];

type Store = Record<PropertyKey, unknown>;
interface Provider {
  getInstance(): { getStore(): Store | undefined; run<T>(store: Store, callback: () => T): T };
  runWithConfig<T>(config: { callbacks?: unknown } | undefined, callback: () => T, avoidCreatingRootRunTree?: boolean): T;
}

let installed = false;

/**
 * LangGraph runs every node call and every channel write through @langchain/core's `runWithConfig`, which
 * builds a LangSmith `RunTree` each time only to carry the config in the async context, even with tracing
 * off: 18% of a zero-work task's CPU. While no tracing variable is set and no LangSmith tracer is among the
 * callbacks, this carries the config in a plain object instead, where `getConfig()`, `interrupt()` and the
 * context variables read it; with tracing on, the original runs untouched. Installed once per process.
 */
export function skipRunTreesWhenUntraced(): void {
  if (installed) return;
  installed = true;
  const provider = AsyncLocalStorageProviderSingleton as unknown as Provider;
  const original = provider.runWithConfig.bind(provider);
  provider.runWithConfig = (config, callback, avoidCreatingRootRunTree) => {
    if (traced(config?.callbacks)) return original(config, callback, avoidCreatingRootRunTree);
    const storage = provider.getInstance();
    const store: Store = { extra: { [CHILD_CONFIG]: config } };
    const previous = storage.getStore()?.[CONTEXT_VARIABLES];
    if (previous !== undefined) store[CONTEXT_VARIABLES] = previous;
    return storage.run(store, callback);
  };
}

function traced(callbacks: unknown): boolean {
  if (TRACING_VARIABLES.some((name) => process.env[name] === "true")) return true;
  const handlers = Array.isArray(callbacks) ? callbacks : (callbacks as { handlers?: unknown[] } | undefined)?.handlers;
  return handlers?.some((h) => (h as { name?: string } | undefined)?.name === "langchain_tracer") ?? false;
}

/**
 * Run `work` outside the graph's async context. A child run started from a task (a `workflow` task) is a run
 * of its own: inside the parent's context LangGraph would take it for a subgraph call and file its checkpoints
 * under the parent's namespace, where a read of the child's own thread finds nothing.
 */
export function outsideGraphContext<T>(work: () => T): T {
  const storage = (AsyncLocalStorageProviderSingleton as unknown as { getInstance(): { exit?<R>(callback: () => R): R } }).getInstance();
  return storage.exit ? storage.exit(work) : work();
}
