import jsonata from "jsonata";
import type { BenchTask } from "./dags.js";

/**
 * The floor for scheduling cost: a plain Promise DAG runner with no state, no checkpoints and no guards.
 * Each task starts the moment its dependencies have resolved and evaluates a JSONata expression (as the
 * engine's zero-work transform does, compiled once), so the engine's cost above this is the price of what
 * it adds. Returns the wall time in ms.
 */
export async function runPromiseDag(tasks: readonly BenchTask[]): Promise<number> {
  const expression = jsonata("1");
  const started = performance.now();
  const done = new Map<string, Promise<unknown>>();
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const run = (id: string): Promise<unknown> => {
    let p = done.get(id);
    if (!p) {
      const t = byId.get(id) as BenchTask;
      p = Promise.all(t.dependencies.map(run)).then(async () => {
        if (t.ms > 0) await new Promise((r) => setTimeout(r, t.ms));
        return expression.evaluate({});
      });
      done.set(id, p);
    }
    return p;
  };
  await Promise.all(tasks.map((t) => run(t.id)));
  return performance.now() - started;
}
