import { runBareLoop } from "./bare-langgraph.js";
import { atMost, benchEngine, info, median, round, type SummaryRow, timeRun } from "./common.js";
import { type BenchTask, plannedCriticalPath, randomDag, slowBesideChain, toPlan } from "./dags.js";

/** Section 1: makespan ÷ critical path on heterogeneous DAGs, engine (memory and SQLite checkpoints) beside the bare loop. */
export interface MakespanRow {
  case: string;
  tasks: number;
  critical_path_ms: number;
  engine_ms: number;
  engine_ratio: number;
  sqlite_ms: number;
  sqlite_ratio: number;
  bare_langgraph_ms: number;
  bare_ratio: number;
}

const TARGET = 1.05;

export async function benchMakespan(quick: boolean): Promise<{ rows: MakespanRow[]; summary: SummaryRow[] }> {
  // Concurrency is not the limit here: the figure is how close to the critical path scheduling gets.
  const engine = benchEngine({ concurrency: 1024, persist: "memory" });
  const durable = benchEngine({ concurrency: 1024, persist: "sqlite" });
  for (const e of [engine, durable]) await timeRun(e, toPlan(slowBesideChain().map((t) => ({ ...t, ms: 1 })))); // warm-up
  await runBareLoop(slowBesideChain().map((t) => ({ ...t, ms: 1 })));
  const cases: [string, BenchTask[]][] = [["500ms + chain 5x100ms", slowBesideChain()]];
  const sizes = quick ? [50, 200] : [50, 200, 500];
  for (const n of sizes) cases.push([`random DAG ${n} (seed 1)`, randomDag(n, 1)]);
  const rows: MakespanRow[] = [];
  const reps = quick ? 1 : 3;
  try {
    for (const [name, tasks] of cases) {
      const cp = plannedCriticalPath(tasks);
      // Side by side, one after the other, so machine noise hits all three alike; median of `reps` runs each.
      const engineMs = await median(reps, () => timeRun(engine, toPlan(tasks)));
      const durableMs = await median(reps, () => timeRun(durable, toPlan(tasks)));
      const bareMs = await median(reps, () => runBareLoop(tasks));
      rows.push({
        case: name,
        tasks: tasks.length,
        critical_path_ms: cp,
        engine_ms: round(engineMs, 1),
        engine_ratio: round(engineMs / cp, 3),
        sqlite_ms: round(durableMs, 1),
        sqlite_ratio: round(durableMs / cp, 3),
        bare_langgraph_ms: round(bareMs, 1),
        bare_ratio: round(bareMs / cp, 3),
      });
    }
  } finally {
    await engine.close();
    await durable.close();
  }
  const summary = rows.flatMap((r) => [
    atMost(
      "1 makespan",
      `${r.case}: engine (memory)`,
      r.engine_ratio,
      TARGET,
      `${r.engine_ratio} (${r.engine_ms} ms / ${r.critical_path_ms} ms)`,
    ),
    info("1 makespan", `${r.case}: engine (SQLite)`, `${r.sqlite_ratio}`),
    info("1 makespan", `${r.case}: bare LangGraph loop`, `${r.bare_ratio}`, "(reference)"),
  ]);
  return { rows, summary };
}
