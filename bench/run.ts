import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { WorkflowEngine } from "../src/engine/workflow-engine.js";
import { runBareLoop } from "./bare-langgraph.js";
import { type BenchTask, plannedCriticalPath, randomDag, slowBesideChain, toPlan } from "./dags.js";

interface Row {
  case: string;
  tasks: number;
  critical_path_ms: number;
  engine_ms: number;
  engine_ratio: number;
  bare_langgraph_ms: number;
  bare_ratio: number;
}

const quick = process.argv.includes("--quick");
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

async function runEngine(engine: WorkflowEngine, tasks: readonly BenchTask[]): Promise<number> {
  const start = performance.now();
  const result = await engine.run(toPlan(tasks));
  const wall = performance.now() - start;
  if (result.status !== "completed") throw new Error(`bench run ended ${result.status}`);
  return wall;
}

async function measure(name: string, tasks: BenchTask[], engine: WorkflowEngine): Promise<Row> {
  const cp = plannedCriticalPath(tasks);
  // Side by side, alternating, so machine noise hits both the same way.
  const engineMs = await runEngine(engine, tasks);
  const bareMs = await runBareLoop(tasks);
  return {
    case: name,
    tasks: tasks.length,
    critical_path_ms: cp,
    engine_ms: round(engineMs, 1),
    engine_ratio: round(engineMs / cp),
    bare_langgraph_ms: round(bareMs, 1),
    bare_ratio: round(bareMs / cp),
  };
}

async function main(): Promise<void> {
  const workspace = mkdtempSync(path.join(tmpdir(), "wf-bench-"));
  // Concurrency is not the limit here: the figure is how close to the critical path scheduling gets.
  const engine = new WorkflowEngine({ workspace, concurrency: 1024, planner: "rules", advisor: null });
  await runEngine(engine, slowBesideChain().map((t) => ({ ...t, ms: 1 }))); // warm-up
  const rows: Row[] = [await measure("500ms + chain 5x100ms", slowBesideChain(), engine)];
  const seeds = quick ? [1] : [1, 2, 3];
  for (const seed of seeds) rows.push(await measure(`random DAG 100 (seed ${seed})`, randomDag(100, seed), engine));
  await engine.close();
  console.table(rows);
  const worst = Math.max(...rows.map((r) => r.engine_ratio));
  console.log(`worst engine ratio ${worst} (target <= 1.10); bare LangGraph loop ${Math.min(...rows.map((r) => r.bare_ratio))}..${Math.max(...rows.map((r) => r.bare_ratio))}`);
  mkdirSync("bench", { recursive: true });
  writeFileSync(path.join("bench", "results.json"), `${JSON.stringify({ at: new Date().toISOString(), node: process.version, rows }, null, 2)}\n`);
}

await main();
