import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { atMost, info, round, type SummaryRow } from "./common.js";

/**
 * Section 7: start-up. CPU time (user + system) of whole `node` processes: an empty one (`node -e ''`), the
 * CLI's `--help`, `--version`, `runs list` and a one-task goal, as a ratio to the empty one (issue 14, item 4).
 *
 * How a child's CPU is measured: Node gives no rusage of a child, so each child is started with
 * `--require <probe>`, a few lines that on `exit` write `process.cpuUsage()` to a file. That is getrusage of
 * the whole process (every thread) from its start to its exit handler, so only the teardown after it is
 * missed; the empty baseline carries the same probe. The contenders run in turn (A B C D E, A B C D E, ...)
 * after a warm-up round, so a drift of the machine's speed falls on all of them, and the median is kept.
 */
const PROBE = `process.on("exit", () => {
  const u = process.cpuUsage();
  require("node:fs").writeFileSync(process.env.WFE_BENCH_CPU_FILE, JSON.stringify(u));
});
`;

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const MAIN = path.join(REPO, "main.js");
const GOAL = "Create output/a.txt with 'hi'";

export interface StartupRow {
  command: string;
  median_cpu_ms: number;
  min_cpu_ms: number;
  max_cpu_ms: number;
  ratio_to_empty_node: number | null;
}

interface Contender {
  name: string;
  /** Arguments after `node --require <probe>`; a function when each run needs a fresh workspace. */
  args: () => string[];
  /** The ratio to `node -e ''` this command must stay under, if any. */
  limit?: number;
}

/** Run the start-up section: `reps` counted runs of each contender, alternating, after one warm-up round. */
export async function benchStartup(quick: boolean): Promise<{ rows: StartupRow[]; summary: SummaryRow[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), "wf-bench-startup-"));
  try {
    const probe = path.join(dir, "cpu-probe.cjs");
    writeFileSync(probe, PROBE);
    // runs list reads a history with one run in it, as it would after some use.
    const history = path.join(dir, "history");
    runOnce(probe, dir, [MAIN, "--goal", GOAL, "--workspace", history, "--quiet"]);
    let fresh = 0;
    const contenders: Contender[] = [
      { name: "node -e ''", args: () => ["-e", ""] },
      { name: "node main.js --help", args: () => [MAIN, "--help"], limit: 3 },
      { name: "node main.js --version", args: () => [MAIN, "--version"], limit: 3 },
      { name: "node main.js runs list", args: () => [MAIN, "runs", "list", "--workspace", history] },
      // Each goal run gets an empty workspace: the same work every time (a new history, one file written).
      {
        name: `node main.js --goal "${GOAL}"`,
        args: () => [MAIN, "--goal", GOAL, "--workspace", path.join(dir, `goal-${fresh++}`), "--quiet"],
        limit: 5,
      },
    ];
    const reps = quick ? 3 : 9;
    const samples = contenders.map(() => [] as number[]);
    for (let round = 0; round <= reps; round++) {
      contenders.forEach((c, i) => {
        const ms = runOnce(probe, dir, c.args());
        if (round > 0) samples[i]?.push(ms);
      });
    }
    const base = medianOf(samples[0] ?? []);
    const rows = contenders.map((c, i) => toRow(c, samples[i] ?? [], i === 0 ? null : base));
    return { rows, summary: summaryRows(contenders, rows, base) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One child process; its CPU time in ms as the probe saw it. A child that fails stops the section. */
function runOnce(probe: string, dir: string, args: string[]): number {
  const file = path.join(dir, "cpu.json");
  rmSync(file, { force: true });
  const child = spawnSync(process.execPath, ["--require", probe, ...args], {
    cwd: dir,
    env: { ...process.env, WFE_BENCH_CPU_FILE: file, NO_COLOR: "1" },
    stdio: ["ignore", "ignore", "pipe"],
    timeout: 60_000,
  });
  if (child.status !== 0) throw new Error(`start-up bench: node ${args.join(" ")} exited ${child.status}: ${child.stderr}`);
  const used = JSON.parse(readFileSync(file, "utf8")) as { user: number; system: number };
  return (used.user + used.system) / 1000;
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function toRow(c: Contender, ms: number[], base: number | null): StartupRow {
  const median = medianOf(ms);
  return {
    command: c.name,
    median_cpu_ms: round(median, 1),
    min_cpu_ms: round(Math.min(...ms), 1),
    max_cpu_ms: round(Math.max(...ms), 1),
    ratio_to_empty_node: base ? round(median / base) : null,
  };
}

function summaryRows(contenders: Contender[], rows: StartupRow[], base: number): SummaryRow[] {
  const summary = [info("7 start-up", "node -e '' (the unit of the ratios)", `${round(base, 1)} ms CPU`)];
  contenders.forEach((c, i) => {
    const row = rows[i];
    if (i === 0 || !row || row.ratio_to_empty_node === null) return;
    const shown = `${row.ratio_to_empty_node}× (${row.median_cpu_ms} ms CPU)`;
    const name = `${c.name}: CPU ÷ node -e ''`;
    summary.push(c.limit ? atMost("7 start-up", name, row.ratio_to_empty_node, c.limit, shown) : info("7 start-up", name, shown));
  });
  return summary;
}
