import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { WorkflowEngine } from "../src/engine/workflow-engine.js";
import type { EngineOptions } from "../src/engine/engine-options.js";
import type { PlanInput } from "../src/model/plan-schema.js";

/** One line of the summary table: a measured figure, its target and whether the target is met. */
export interface SummaryRow {
  section: string;
  case: string;
  measured: string;
  target: string;
  /** measured ÷ target limit, oriented so that ≤ 1 means met (null when there is no target). */
  vs_target: number | null;
  met: "yes" | "NO" | "-";
}

export const round = (n: number, d = 2): number => Math.round(n * 10 ** d) / 10 ** d;

/** A row for "measured ≤ limit". */
export function atMost(
  section: string,
  name: string,
  measured: number,
  limit: number,
  shown = String(round(measured)),
  targetText = `≤ ${limit}`,
): SummaryRow {
  return targetRow(section, name, shown, targetText, measured / limit);
}

/** A row for "measured ≥ floor" (vs_target is floor ÷ measured, so ≤ 1 still means met). */
export function atLeast(
  section: string,
  name: string,
  measured: number,
  floor: number,
  shown = String(round(measured)),
  targetText = `≥ ${floor}`,
): SummaryRow {
  return targetRow(section, name, shown, targetText, floor / measured);
}

/** A row with a target; `vsTarget` ≤ 1 means met. */
function targetRow(section: string, name: string, shown: string, targetText: string, vsTarget: number): SummaryRow {
  return { section, case: name, measured: shown, target: targetText, vs_target: round(vsTarget), met: vsTarget <= 1 ? "yes" : "NO" };
}

/** A row with no target in the issue (informational). */
export function info(section: string, name: string, shown: string, targetText = "(no target)"): SummaryRow {
  return { section, case: name, measured: shown, target: targetText, vs_target: null, met: "-" };
}

export function workspace(prefix = "wf-bench-"): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** An engine for the bench: rule planner, no advisor, no environment leaking in, plans up to 10,000 tasks. */
export function benchEngine(options: EngineOptions): WorkflowEngine {
  return new WorkflowEngine({ workspace: workspace(), planner: "rules", advisor: null, env: {}, limits: { maxTasks: 10_000 }, ...options });
}

/** Run a plan and return its wall time (ms); throws unless it completed. */
export async function timeRun(engine: WorkflowEngine, plan: PlanInput): Promise<number> {
  const start = performance.now();
  const result = await engine.run(plan);
  const wall = performance.now() - start;
  if (result.status !== "completed") throw new Error(`bench run ended ${result.status}`);
  return wall;
}

/** `n` zero-work tasks, as a chain (each depends on the one before) or as a wide fan-out (no dependencies). */
export function zeroWorkPlan(n: number, shape: "chain" | "fanout"): PlanInput {
  return {
    tasks: Array.from({ length: n }, (_, i) => ({
      id: `t${i}`,
      action_type: "transform_data" as const,
      action_config: { input: 1, expression: "1" },
      dependencies: shape === "chain" && i > 0 ? [`t${i - 1}`] : [],
    })),
  };
}

/** The median of `reps` timings of `fn` (one when reps ≤ 1): one noisy run on a shared machine does not decide a row. */
export async function median(reps: number, fn: () => Promise<number>): Promise<number> {
  const walls: number[] = [];
  for (let i = 0; i < Math.max(1, reps); i++) walls.push(await fn());
  walls.sort((a, b) => a - b);
  return walls[Math.floor(walls.length / 2)] ?? 0;
}
