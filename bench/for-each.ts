import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { PlanInput } from "../src/model/plan-schema.js";
import { benchEngine, info, round, type SummaryRow, timeRun, zeroWorkPlan } from "./common.js";

/** Section 11: one for_each over N items at concurrency 64, against the same work as N plain tasks (child process each). */
export interface ForEachRow {
  shape: "for_each" | "plain tasks";
  persist: string;
  items: number;
  wall_ms: number;
  per_item_ms: number;
  max_rss_mb: number;
}

const CONCURRENCY = 64;

/** One for_each task whose items are the zero-work transform of zeroWorkPlan. */
function loopPlan(n: number): PlanInput {
  return {
    tasks: [
      {
        id: "each",
        for_each: Array.from({ length: n }, (_, i) => i),
        concurrency: CONCURRENCY,
        action_type: "transform_data",
        action_config: { input: "{{item}}", expression: "1" },
      },
    ],
  };
}

async function child(n: number, shape: ForEachRow["shape"], persist: "memory" | "sqlite"): Promise<void> {
  const engine = benchEngine({ concurrency: CONCURRENCY, persist });
  const wall = await timeRun(engine, shape === "for_each" ? loopPlan(n) : zeroWorkPlan(n, "fanout"));
  await engine.close();
  const row: ForEachRow = {
    shape,
    persist,
    items: n,
    wall_ms: round(wall, 1),
    per_item_ms: round(wall / n, 3),
    max_rss_mb: round(process.resourceUsage().maxRSS / 1024, 1),
  };
  process.stdout.write(`${JSON.stringify(row)}\n`);
}

function spawnChild(n: number, shape: ForEachRow["shape"], persist: string): Promise<ForEachRow> {
  const file = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [file, "--items", String(n), "--shape", shape, "--persist", persist], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    proc.stdout.on("data", (c: Buffer) => {
      out += c.toString("utf8");
    });
    proc.on("error", reject);
    proc.on("close", (code) => {
      if (code !== 0) return reject(new Error(`for_each child (${shape}, ${persist}) exited ${code}`));
      resolve(JSON.parse(out.trim().split("\n").pop() ?? "") as ForEachRow);
    });
  });
}

export async function benchForEach(quick: boolean, log: (s: string) => void): Promise<{ rows: ForEachRow[]; summary: SummaryRow[] }> {
  const n = quick ? 1000 : 10_000;
  const rows: ForEachRow[] = [];
  for (const persist of ["memory", "sqlite"]) {
    for (const shape of ["for_each", "plain tasks"] as const) {
      const row = await spawnChild(n, shape, persist);
      log(`  ${shape} ${persist} ${n}: ${row.per_item_ms} ms/item, max RSS ${row.max_rss_mb} MB`);
      rows.push(row);
    }
  }
  const summary = ["memory", "sqlite"].flatMap((persist) => {
    const loop = rows.find((r) => r.persist === persist && r.shape === "for_each");
    const plain = rows.find((r) => r.persist === persist && r.shape === "plain tasks");
    if (!loop || !plain) return [];
    return [
      info(
        "11 for_each",
        `${persist}: ${n} items at concurrency ${CONCURRENCY} vs ${n} plain tasks`,
        `${loop.per_item_ms} vs ${plain.per_item_ms} ms/item; peak RSS ${loop.max_rss_mb} vs ${plain.max_rss_mb} MB`,
      ),
    ];
  });
  return { rows, summary };
}

const args = process.argv.slice(2);
const at = args.indexOf("--items");
if (at >= 0 && process.argv[1] === fileURLToPath(import.meta.url)) {
  const shape = args[args.indexOf("--shape") + 1] === "for_each" ? "for_each" : "plain tasks";
  const persist = args[args.indexOf("--persist") + 1] === "sqlite" ? "sqlite" : "memory";
  await child(Number(args[at + 1] ?? 0), shape, persist);
}
