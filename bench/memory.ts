import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { atMost, benchEngine, round, type SummaryRow, timeRun, zeroWorkPlan } from "./common.js";

/** Section 6: peak RSS per size, each size in its own child process (`node dist/bench/memory.js --size N`). */
export interface MemoryRow {
  persist: string;
  tasks: number;
  max_rss_mb: number;
  sampled_peak_mb: number;
  wall_ms: number;
}

interface ChildReport {
  tasks: number;
  persist: string;
  max_rss_mb: number;
  sampled_peak_mb: number;
  wall_ms: number;
}

/** In the child: run `size` zero-work fan-out tasks and print peak RSS as JSON. */
async function child(size: number, persist: "memory" | "sqlite"): Promise<void> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  const engine = benchEngine({ concurrency: 64, persist });
  const wall = size > 0 ? await timeRun(engine, zeroWorkPlan(size, "fanout")) : 0;
  await engine.close();
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage.rss());
  const report: ChildReport = {
    tasks: size,
    persist,
    max_rss_mb: round(process.resourceUsage().maxRSS / 1024, 1), // maxRSS is in KiB
    sampled_peak_mb: round(peak / 2 ** 20, 1),
    wall_ms: round(wall, 1),
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

function spawnChild(size: number, persist: string): Promise<ChildReport> {
  const file = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [file, "--size", String(size), "--persist", persist], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    proc.stdout.on("data", (c: Buffer) => {
      out += c.toString("utf8");
    });
    proc.on("error", reject);
    proc.on("close", (code) => {
      if (code !== 0) return reject(new Error(`memory child (size ${size}) exited ${code}`));
      try {
        resolve(JSON.parse(out.trim().split("\n").pop() ?? "") as ChildReport);
      } catch (err) {
        reject(err);
      }
    });
  });
}

export async function benchMemory(quick: boolean, log: (s: string) => void): Promise<{ rows: MemoryRow[]; summary: SummaryRow[] }> {
  const sizes = quick ? [1, 1000] : [1, 1000, 10_000];
  const rows: MemoryRow[] = [];
  for (const persist of ["sqlite", "memory"]) {
    for (const size of sizes) {
      const r = await spawnChild(size, persist);
      log(`  memory ${persist} ${size}: max RSS ${r.max_rss_mb} MB`);
      rows.push({ persist, tasks: r.tasks, max_rss_mb: r.max_rss_mb, sampled_peak_mb: r.sampled_peak_mb, wall_ms: r.wall_ms });
    }
  }
  const summary: SummaryRow[] = [];
  for (const persist of ["sqlite", "memory"]) {
    const at = (n: number) => rows.find((r) => r.persist === persist && r.tasks === n);
    const base = at(1);
    const k1 = at(1000);
    const k10 = at(10_000);
    if (base && k1)
      summary.push({
        section: "6 memory",
        case: `${persist}: peak RSS at 1,000 (1 task: ${base.max_rss_mb} MB)`,
        measured: `${k1.max_rss_mb} MB`,
        target: "(linear)",
        vs_target: null,
        met: "-",
      });
    if (base && k1 && k10) {
      summary.push(atMost("6 memory", `${persist}: peak RSS at 10,000`, k10.max_rss_mb, 250, `${k10.max_rss_mb} MB`, "< 250 MB"));
      // Linear: the growth from 1,000 to 10,000 tasks, per task, is no more than 1.5× the growth per task up to 1,000.
      const perTaskLow = Math.max(0.001, (k1.max_rss_mb - base.max_rss_mb) / 999);
      const perTaskHigh = (k10.max_rss_mb - k1.max_rss_mb) / 9000;
      const ratio = perTaskHigh / perTaskLow;
      summary.push(
        atMost(
          "6 memory",
          `${persist}: RSS growth per task 1k→10k ÷ 1→1k`,
          ratio,
          1.5,
          `${round(ratio)} (${round(perTaskHigh * 1024, 1)} vs ${round(perTaskLow * 1024, 1)} KB/task)`,
          "≤ 1.5 (linear)",
        ),
      );
    }
  }
  return { rows, summary };
}

const args = process.argv.slice(2);
const sizeAt = args.indexOf("--size");
if (sizeAt >= 0 && process.argv[1] === fileURLToPath(import.meta.url)) {
  const persistAt = args.indexOf("--persist");
  const persist = persistAt >= 0 && args[persistAt + 1] === "memory" ? "memory" : "sqlite";
  await child(Number(args[sizeAt + 1] ?? 0), persist);
}
