import { atLeast, benchEngine, median, round, type SummaryRow, timeRun } from "./common.js";
import { toPlan } from "./dags.js";

/** Section 3: 64 independent 50 ms tasks at concurrency 1, 8 and 64. */
export interface SpeedupRow {
  persist: "memory" | "sqlite";
  concurrency: number;
  wall_ms: number;
  ideal_ms: number;
  speedup_vs_c1: number;
  efficiency: number;
}

const TASKS = 64;
const MS = 50;

export async function benchSpeedup(reps: number): Promise<{ rows: SpeedupRow[]; summary: SummaryRow[] }> {
  const tasks = Array.from({ length: TASKS }, (_, i) => ({ id: `t${i}`, ms: MS, dependencies: [] as string[] }));
  const rows: SpeedupRow[] = [];
  let serial = 0;
  // The durable case records every outcome in a checkpoint: outcomes due together must share one.
  const cases = [
    ["memory", 1],
    ["memory", 8],
    ["memory", 64],
    ["sqlite", 64],
  ] as const;
  for (const [persist, concurrency] of cases) {
    const engine = benchEngine({ concurrency, persist });
    try {
      await timeRun(engine, toPlan(tasks.map((t) => ({ ...t, ms: 1 })))); // warm-up: same shape, 1 ms waits
      const wall = await median(reps, () => timeRun(engine, toPlan(tasks)));
      if (concurrency === 1 && persist === "memory") serial = wall;
      const ideal = Math.ceil(TASKS / concurrency) * MS;
      rows.push({
        persist,
        concurrency,
        wall_ms: round(wall, 1),
        ideal_ms: ideal,
        speedup_vs_c1: round(serial / wall),
        efficiency: round(ideal / wall, 3),
      });
    } finally {
      await engine.close();
    }
  }
  // Ideal speedup at concurrency c is c (ideal makespan ceil(64/c) × 50 ms); efficiency = ideal ÷ measured.
  const summary = rows.map((r) =>
    atLeast(
      "3 speedup",
      `64 × 50 ms at concurrency ${r.concurrency}${r.persist === "sqlite" ? " (SQLite)" : ""}`,
      r.efficiency,
      0.9,
      `${r.efficiency} of ideal (${r.wall_ms} ms vs ${r.ideal_ms} ms; ${r.speedup_vs_c1}× vs c=1)`,
      "≥ 0.9 × ideal",
    ),
  );
  return { rows, summary };
}
