import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { atMost, info, round, type SummaryRow } from "./common.js";

/** Section 7: the embedded database (PGlite) as a user meets it: `node main.js` runs, each a child process. */
export interface EmbeddedDbRow {
  case: string;
  runs: number;
  median_wall_ms: number;
  median_cpu_ms: number;
  max_rss_mb: number;
}

// From dist/bench/ up to the repository, where main.js is.
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const DB_PLAN = { tasks: [{ id: "q", action_type: "db_query", action_config: { query: "SELECT 1 AS one" } }] };
const NO_DB_PLAN = { tasks: [{ id: "t", action_type: "transform_data", action_config: { input: 1, expression: "1" } }] };
// Preloaded into each CLI child: on exit it writes the child's CPU (all threads) and peak RSS to BENCH_USAGE_FILE.
const USAGE_HOOK =
  "data:text/javascript,import{writeFileSync}from'node:fs';process.on('exit',()=>{const c=process.cpuUsage();" +
  "writeFileSync(process.env.BENCH_USAGE_FILE,JSON.stringify({cpu_ms:(c.user+c.system)/1000,rss_kb:process.resourceUsage().maxRSS}))})";

interface CliSample {
  wall_ms: number;
  cpu_ms: number;
  rss_mb: number;
}

/** One `node main.js --plan <plan> --workspace <ws> --quiet` run, timed from spawn to exit. */
function runCli(planFile: string, ws: string, cacheDir: string): Promise<CliSample> {
  const usageFile = path.join(ws, "usage.json");
  const env: Record<string, string | undefined> = {
    ...process.env,
    WORKFLOW_CACHE_DIR: cacheDir,
    BENCH_USAGE_FILE: usageFile,
    LOG_LEVEL: "warn",
  };
  delete env.DATABASE_URL;
  delete env.OPENAI_API_KEY;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const args = ["--import", USAGE_HOOK, path.join(REPO, "main.js"), "--plan", planFile, "--workspace", ws, "--quiet"];
    const child = spawn(process.execPath, args, { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const wall = performance.now() - started;
      if (code !== 0) return reject(new Error(`main.js exited ${code}: ${stderr.slice(-500)}`));
      const usage = JSON.parse(readFileSync(usageFile, "utf8")) as { cpu_ms: number; rss_kb: number };
      resolve({ wall_ms: wall, cpu_ms: usage.cpu_ms, rss_mb: usage.rss_kb / 1024 });
    });
  });
}

/** Bytes on disk under `dir` (as du counts them: allocated blocks). */
function diskBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    total += entry.isDirectory() ? diskBytes(p) : statSync(p).blocks * 512;
  }
  return total;
}

function summarise(name: string, samples: CliSample[]): EmbeddedDbRow {
  const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  return {
    case: name,
    runs: samples.length,
    median_wall_ms: round(mid(samples.map((s) => s.wall_ms)), 0),
    median_cpu_ms: round(mid(samples.map((s) => s.cpu_ms)), 0),
    max_rss_mb: round(Math.max(...samples.map((s) => s.rss_mb)), 0),
  };
}

/**
 * A cold machine (empty template cache: initdb once), then `reps` fresh workspaces (first db_query: the
 * template is copied in), `reps` later runs in one workspace, and `reps` runs of a plan without SQL (the
 * CLI's own start, which the db_query rows include). Each workspace and the cache are temporary.
 */
export async function benchEmbeddedDb(reps: number, log: (s: string) => void): Promise<{ rows: EmbeddedDbRow[]; summary: SummaryRow[] }> {
  const root = mkdtempSync(path.join(tmpdir(), "wf-bench-pglite-"));
  try {
    const cache = path.join(root, "cache");
    const plan = (name: string, body: unknown) => {
      const file = path.join(root, `${name}.json`);
      writeFileSync(file, JSON.stringify(body));
      return file;
    };
    const [dbPlan, noDbPlan] = [plan("db", DB_PLAN), plan("no-db", NO_DB_PLAN)];
    const fresh = (name: string) => mkdtempSync(path.join(root, `${name}-`));
    const series = async (name: string, n: number, next: () => Promise<CliSample>) => {
      const samples: CliSample[] = [];
      for (let i = 0; i < n; i++) samples.push(await next());
      const row = summarise(name, samples);
      log(`  ${name}: median ${row.median_wall_ms} ms wall, ${row.median_cpu_ms} ms CPU`);
      return row;
    };
    const cold = await series("first db_query, cold machine (template made)", 1, () => runCli(dbPlan, fresh("cold"), cache));
    const first = await series("first db_query in a fresh workspace", reps, () => runCli(dbPlan, fresh("ws"), cache));
    const ws = fresh("later");
    await runCli(dbPlan, ws, cache);
    const later = await series("later run, same workspace", reps, () => runCli(dbPlan, ws, cache));
    const noDb = await series("a run without db_query (CLI start)", reps, () => runCli(noDbPlan, fresh("nodb"), cache));
    const mb = diskBytes(path.join(ws, ".workflow-state", "pglite")) / 1e6;
    const share = (r: EmbeddedDbRow) =>
      `${round((r.median_wall_ms - noDb.median_wall_ms) / 1000)} s wall, ${round((r.median_cpu_ms - noDb.median_cpu_ms) / 1000)} s CPU`;
    const secs = (r: EmbeddedDbRow) => `${round(r.median_wall_ms / 1000)} s (CPU ${round(r.median_cpu_ms / 1000)} s)`;
    const summary = [
      atMost("8 embedded db", "first db_query in a fresh workspace, CLI wall", first.median_wall_ms / 1000, 3, secs(first), "≤ 3 s"),
      atMost("8 embedded db", "later run in the same workspace, CLI wall", later.median_wall_ms / 1000, 1, secs(later), "≤ 1 s"),
      info("8 embedded db", "the CLI's own start (a run without db_query)", secs(noDb)),
      info("8 embedded db", "db_query's share: fresh workspace / later run", `${share(first)} / ${share(later)}`),
      info("8 embedded db", "first db_query on a cold machine (template made once)", secs(cold)),
      info("8 embedded db", "disk per workspace", `${round(mb, 1)} MB`),
    ];
    return { rows: [cold, first, later, noDb], summary };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
