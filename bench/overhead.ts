import { runBareLoop } from "./bare-langgraph.js";
import { runPromiseDag } from "./promise-runner.js";
import { atMost, benchEngine, median, round, type SummaryRow, timeRun, zeroWorkPlan } from "./common.js";
import type { BenchTask } from "./dags.js";

/** Section 2: scheduler overhead per zero-work task, as a chain and as a wide fan-out, beside the bare loop. */
export interface OverheadRow {
  shape: "chain" | "fanout";
  tasks: number;
  engine_ms: number;
  engine_us_per_task: number;
  bare_ms: number;
  bare_us_per_task: number;
  engine_vs_bare: number;
  /** A plain Promise DAG runner evaluating the same JSONata: the floor. */
  promise_us_per_task: number;
}

function bareTasks(n: number, shape: "chain" | "fanout"): BenchTask[] {
  return Array.from({ length: n }, (_, i) => ({ id: `t${i}`, ms: 0, dependencies: shape === "chain" && i > 0 ? [`t${i - 1}`] : [] }));
}

export async function benchOverhead(quick: boolean, log: (s: string) => void): Promise<{ rows: OverheadRow[]; summary: SummaryRow[] }> {
  const sizes = quick ? [100, 1000] : [100, 1000, 10_000];
  const engine = benchEngine({ concurrency: 1024, persist: "memory" });
  const rows: OverheadRow[] = [];
  try {
    await timeRun(engine, zeroWorkPlan(50, "chain")); // warm-up
    await runBareLoop(bareTasks(50, "chain"));
    for (const shape of ["chain", "fanout"] as const) {
      for (const n of sizes) {
        // Median of 3 up to 1,000 tasks in the full run; the 10,000-task cases run once (they take tens of seconds).
        const reps = quick || n > 1000 ? 1 : 3;
        const engineMs = await median(reps, () => timeRun(engine, zeroWorkPlan(n, shape)));
        const bareMs = await median(reps, () => runBareLoop(bareTasks(n, shape)));
        const promiseMs = await median(reps, () => runPromiseDag(bareTasks(n, shape)));
        const row: OverheadRow = {
          shape,
          tasks: n,
          engine_ms: round(engineMs, 1),
          engine_us_per_task: round((engineMs / n) * 1000, 1),
          bare_ms: round(bareMs, 1),
          bare_us_per_task: round((bareMs / n) * 1000, 1),
          engine_vs_bare: round(engineMs / bareMs, 3),
          promise_us_per_task: round((promiseMs / n) * 1000, 1),
        };
        log(`  overhead ${shape} ${n}: engine ${row.engine_us_per_task} us/task, bare ${row.bare_us_per_task} us/task`);
        rows.push(row);
      }
    }
  } finally {
    await engine.close();
  }
  const summary: SummaryRow[] = [];
  for (const r of rows) {
    summary.push(
      atMost(
        "2 overhead",
        `${r.shape} ${r.tasks}: engine ÷ bare per task`,
        r.engine_vs_bare,
        0.35,
        `${r.engine_vs_bare} (${r.engine_us_per_task} vs ${r.bare_us_per_task} µs/task)`,
        "≤ 0.35",
      ),
    );
    summary.push({
      section: "2 overhead",
      case: `${r.shape} ${r.tasks}: engine ÷ plain Promise runner (the floor)`,
      measured: `${round(r.engine_us_per_task / Math.max(r.promise_us_per_task, 0.1), 1)} (${r.engine_us_per_task} vs ${r.promise_us_per_task} µs/task)`,
      target: "(reference)",
      vs_target: null,
      met: "-",
    });
  }
  for (const shape of ["chain", "fanout"] as const) {
    const mine = rows.filter((r) => r.shape === shape);
    const first = mine[0];
    const last = mine[mine.length - 1];
    if (!first || !last || first === last) continue;
    const flat = last.engine_us_per_task / first.engine_us_per_task;
    summary.push(
      atMost("2 overhead", `${shape}: engine per task at ${last.tasks} ÷ at ${first.tasks}`, flat, 1.5, `${round(flat)}`, "≤ 1.5 (flat)"),
    );
    const bareFlat = last.bare_us_per_task / first.bare_us_per_task;
    summary.push({
      section: "2 overhead",
      case: `${shape}: bare per task at ${last.tasks} ÷ at ${first.tasks}`,
      measured: `${round(bareFlat)}`,
      target: "(reference)",
      vs_target: null,
      met: "-",
    });
  }
  return { rows, summary };
}
