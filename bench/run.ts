import { setMaxListeners } from "node:events";
import { cpus, totalmem } from "node:os";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { atMost, info, round, type SummaryRow } from "./common.js";
import { measureDurability, zeroWorkBytes } from "./durability.js";
import { benchEmbeddedDb } from "./embedded-db.js";
import { benchForEach } from "./for-each.js";
import { benchMakespan } from "./makespan.js";
import { benchMemory } from "./memory.js";
import { benchOverhead } from "./overhead.js";
import { benchPlanning } from "./planning.js";
import { benchQueue } from "./queue-scaling.js";
import { benchSpeedup } from "./speedup.js";
import { benchStartup } from "./startup.js";
import { benchTracing } from "./tracing.js";

/**
 * `npm run bench` (full, several minutes) or `npm run bench -- --quick` (smoke, under a minute).
 * Sections: 1 makespan ÷ critical path, 2 scheduler overhead, 3 parallel speedup, 4 durability,
 * 5 planning cost, 6 memory, 7 start-up (CPU of `node main.js ...` ÷ `node -e ''`), 8 embedded database start
 * (PGlite, CLI child processes), 9 the queue executor (worker processes over Redis: scaling, overhead), 10 tracing
 * off vs the OpenTelemetry API without an SDK vs the SDK exporting (alternating runs, medians), 11 for_each over 10,000 items vs 10,000 plain tasks. Prints one summary table (target and whether met per row) and writes
 * bench/results.json. `--only 1,3` runs a subset.
 */
const quick = process.argv.includes("--quick");
const onlyAt = process.argv.indexOf("--only");
const only = onlyAt >= 0 ? new Set((process.argv[onlyAt + 1] ?? "").split(",")) : undefined;
const wanted = (n: number) => !only || only.has(String(n));
// The bare LangGraph loop fans out many Sends at once, each adding an abort listener to the run's signal
// inside @langchain/core; that is by design there, so silence Node's leak warning for the bench.
setMaxListeners(0);
const log = (s: string) => console.error(s);

async function main(): Promise<void> {
  const started = performance.now();
  const summary: SummaryRow[] = [];
  const results: Record<string, unknown> = {
    at: new Date().toISOString(),
    mode: quick ? "quick" : "full",
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: `${cpus().length} × ${cpus()[0]?.model ?? "?"}`,
    memory_gb: round(totalmem() / 2 ** 30, 1),
  };
  const section = async <T>(n: number, name: string, fn: () => Promise<T>): Promise<T | undefined> => {
    if (!wanted(n)) return undefined;
    const t = performance.now();
    log(`[${n}] ${name}...`);
    const out = await fn();
    log(`[${n}] ${name} done in ${round((performance.now() - t) / 1000, 1)} s`);
    return out;
  };

  const makespan = await section(1, "makespan ÷ critical path", () => benchMakespan(quick));
  if (makespan) {
    console.table(makespan.rows);
    summary.push(...makespan.summary);
    results.makespan = makespan.rows;
  }
  const overhead = await section(2, "scheduler overhead per task", () => benchOverhead(quick, log));
  if (overhead) {
    console.table(overhead.rows);
    summary.push(...overhead.summary);
    results.overhead = overhead.rows;
  }
  const speedup = await section(3, "parallel speedup", () => benchSpeedup(quick ? 1 : 3));
  if (speedup) {
    console.table(speedup.rows);
    summary.push(...speedup.summary);
    results.speedup = speedup.rows;
  }
  // PostgreSQL from BENCH_DATABASE_URL (default: the local test database); BENCH_DATABASE_URL= (empty) skips it.
  const pgUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const durability = await section(4, "durability cost", () => measureDurability(quick ? 200 : 1000, pgUrl || undefined));
  if (durability) {
    console.table(durability);
    const mem = durability.find((d) => d.backend === "memory");
    for (const d of durability) {
      const over = mem && d !== mem ? `, +${round(d.per_task_ms - mem.per_task_ms)} ms/task vs memory` : "";
      const bytes =
        d.bytes === null
          ? "bytes not measured (in memory)"
          : `${d.bytes_per_task} B/task written (${d.ratio_to_payload}× the 1 KB payload, ${round(d.bytes / 1e6)} MB)`;
      summary.push(info("4 durability", `${d.backend}: ${d.tasks} tasks returning 1 KB`, `${d.per_task_ms} ms/task${over}; ${bytes}`));
    }
    results.durability = durability;
    const sqlite = durability.find((d) => d.backend === "sqlite");
    const postgres = durability.find((d) => d.backend === "postgres");
    if (sqlite && postgres) {
      const ratio = round(postgres.per_task_ms / sqlite.per_task_ms);
      summary.push(
        atMost(
          "4 durability",
          "PostgreSQL ÷ SQLite per task",
          ratio,
          1.3,
          `${ratio} (${postgres.per_task_ms} vs ${sqlite.per_task_ms} ms/task)`,
          "≤ 1.3",
        ),
      );
    }
    const bytes = await zeroWorkBytes(quick ? 200 : 1000);
    for (const b of bytes) {
      summary.push(
        atMost(
          "4 durability",
          `SQLite bytes per zero-work task (${b.shape} ${b.tasks})`,
          b.bytes_per_task,
          650,
          `${b.bytes_per_task} B`,
          "≤ 650",
        ),
      );
    }
    results.zero_work_bytes = bytes;
  }
  const redisUrl = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
  const planning = await section(5, "planning cost", () => benchPlanning(redisUrl));
  if (planning) {
    console.table(planning.rows);
    summary.push(...planning.summary);
    results.planning = planning.rows;
  }
  const memory = await section(6, "memory (child process per size)", () => benchMemory(quick, log));
  if (memory) {
    console.table(memory.rows);
    summary.push(...memory.summary);
    results.memory = memory.rows;
  }
  const startup = await section(7, "start-up (child process per command)", () => benchStartup(quick));
  if (startup) {
    console.table(startup.rows);
    summary.push(...startup.summary);
    results.startup = startup.rows;
  }
  const embedded = await section(8, "embedded database start (CLI child processes)", () => benchEmbeddedDb(quick ? 1 : 5, log));
  if (embedded) {
    console.table(embedded.rows);
    summary.push(...embedded.summary);
    results.embedded_db = embedded.rows;
  }
  const queue = await section(9, "queue executor (worker processes over Redis)", () => benchQueue(redisUrl, quick, log));
  if (queue) {
    console.table(queue.scaling);
    console.table(queue.overhead);
    summary.push(...queue.summary);
    results.queue = { scaling: queue.scaling, overhead: queue.overhead };
  }
  const tracing = await section(10, "tracing off vs on (alternating runs, medians)", () => benchTracing(quick, log));
  if (tracing) {
    console.table(tracing.rows);
    summary.push(...tracing.summary);
    results.tracing = tracing.rows;
  }

  const forEach = await section(11, "for_each over 10,000 items vs 10,000 tasks (child process per case)", () => benchForEach(quick, log));
  if (forEach) {
    console.table(forEach.rows);
    summary.push(...forEach.summary);
    results.for_each = forEach.rows;
  }

  console.log('\nSummary (scheduling rows: engine with persist "memory"; vs_target ≤ 1 means met)');
  console.table(summary);
  const missed = summary.filter((r) => r.met === "NO");
  console.log(
    missed.length
      ? `${missed.length} target(s) missed:\n${missed.map((r) => `  - [${r.section}] ${r.case}: ${r.measured} (target ${r.target})`).join("\n")}`
      : "all targets met",
  );
  results.summary = summary;
  results.total_s = round((performance.now() - started) / 1000, 1);
  console.log(`bench took ${results.total_s} s`);
  mkdirSync("bench", { recursive: true });
  writeFileSync(path.join("bench", quick ? "results.quick.json" : "results.json"), `${JSON.stringify(results, null, 2)}\n`);
}

await main();
process.exit(0);
