import { setMaxListeners } from "node:events";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { WorkflowEngine } from "../src/engine/workflow-engine.js";
import { runBareLoop } from "./bare-langgraph.js";
import { type BenchTask, plannedCriticalPath, randomDag, slowBesideChain, toPlan } from "./dags.js";
import { measureDurability } from "./durability.js";

interface Row {
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

const quick = process.argv.includes("--quick");
// The bare LangGraph loop fans out up to 100 Sends at once, each adding an abort listener to the run's
// signal inside @langchain/core; that is by design there, so silence Node's leak warning for the bench.
setMaxListeners(0);
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

async function runEngine(engine: WorkflowEngine, tasks: readonly BenchTask[]): Promise<number> {
  const start = performance.now();
  const result = await engine.run(toPlan(tasks));
  const wall = performance.now() - start;
  if (result.status !== "completed") throw new Error(`bench run ended ${result.status}`);
  return wall;
}

async function measure(name: string, tasks: BenchTask[], engine: WorkflowEngine, durable: WorkflowEngine): Promise<Row> {
  const cp = plannedCriticalPath(tasks);
  // Side by side, one after the other, so machine noise hits all three alike.
  const engineMs = await runEngine(engine, tasks);
  const durableMs = await runEngine(durable, tasks);
  const bareMs = await runBareLoop(tasks);
  return {
    case: name,
    tasks: tasks.length,
    critical_path_ms: cp,
    engine_ms: round(engineMs, 1),
    engine_ratio: round(engineMs / cp),
    sqlite_ms: round(durableMs, 1),
    sqlite_ratio: round(durableMs / cp),
    bare_langgraph_ms: round(bareMs, 1),
    bare_ratio: round(bareMs / cp),
  };
}

async function main(): Promise<void> {
  const workspace = mkdtempSync(path.join(tmpdir(), "wf-bench-"));
  // Concurrency is not the limit here: the figure is how close to the critical path scheduling gets.
  const engine = new WorkflowEngine({ workspace, concurrency: 1024, planner: "rules", advisor: null, persist: "memory" });
  const durable = new WorkflowEngine({ workspace, concurrency: 1024, planner: "rules", advisor: null, persist: "sqlite" });
  for (const e of [engine, durable]) await runEngine(e, slowBesideChain().map((t) => ({ ...t, ms: 1 }))); // warm-up
  const rows: Row[] = [await measure("500ms + chain 5x100ms", slowBesideChain(), engine, durable)];
  const seeds = quick ? [1] : [1, 2, 3];
  for (const seed of seeds) rows.push(await measure(`random DAG 100 (seed ${seed})`, randomDag(100, seed), engine, durable));
  await engine.close();
  await durable.close();
  console.table(rows);
  const worst = Math.max(...rows.map((r) => r.engine_ratio));
  const worstDurable = Math.max(...rows.map((r) => r.sqlite_ratio));
  console.log(
    `worst engine ratio ${worst} in memory, ${worstDurable} with SQLite checkpoints (target <= 1.10); ` +
      `bare LangGraph loop ${Math.min(...rows.map((r) => r.bare_ratio))}..${Math.max(...rows.map((r) => r.bare_ratio))}`,
  );
  // Durability: 1 KB per task, checkpoint bytes per backend (PostgreSQL from BENCH_DATABASE_URL, default the local test DB).
  const pgUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const durability = await measureDurability(quick ? 200 : 1000, pgUrl);
  console.table(durability);
  for (const d of durability.filter((r) => r.bytes !== null)) {
    console.log(`${d.backend}: ${d.bytes_per_task} bytes per task, ${d.ratio_to_payload}x the payload, ${((d.bytes ?? 0) / 1e6).toFixed(2)} MB for ${d.tasks} tasks (target < 5 MB at 1,000)`);
  }
  mkdirSync("bench", { recursive: true });
  const results = { at: new Date().toISOString(), node: process.version, scheduling: rows, durability };
  writeFileSync(path.join("bench", "results.json"), `${JSON.stringify(results, null, 2)}\n`);
}

await main();
