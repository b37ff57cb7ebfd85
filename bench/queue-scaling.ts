import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import path from "node:path";
import { createInterface } from "node:readline";
import { closeRedis, deleteKeysWithPrefix, openRedis } from "../src/persistence/redis-connection.js";
import { silentLogger } from "../utils/logger.js";
import { atLeast, benchEngine, info, median, round, type SummaryRow, timeRun, zeroWorkPlan } from "./common.js";

/**
 * Section 9: the queue executor. Throughput of 400 × 100 ms wait tasks (coordinator concurrency 64) over 1, 2 and
 * 4 `node main.js worker` processes of --concurrency 16 each, so that the workers and not the coordinator bound it
 * (ideal: 1 worker 2.5 s, 2 workers 1.25 s, 4 workers 0.625 s); and the cost per zero-work task of going through
 * Redis instead of a promise, in-process and queue runs alternated, medians.
 */
export interface QueueScalingRow {
  workers: number;
  wall_ms: number;
  tasks_per_s: number;
  vs_one_worker: number;
}

export interface QueueOverheadRow {
  shape: "fanout" | "chain";
  tasks: number;
  in_process_ms: number;
  queue_ms: number;
  overhead_per_task_ms: number;
}

const SCALE_TASKS = 400;
const WAIT_MS = 100;
const WORKER_CONCURRENCY = 16;

export async function benchQueue(
  redisUrl: string,
  quick: boolean,
  log: (s: string) => void,
): Promise<{ scaling: QueueScalingRow[]; overhead: QueueOverheadRow[]; summary: SummaryRow[] }> {
  const prefix = `wfe-bench-${randomBytes(4).toString("hex")}:`;
  const reps = quick ? 1 : 3;
  const scaling: QueueScalingRow[] = [];
  const overhead: QueueOverheadRow[] = [];
  try {
    const waits = {
      tasks: Array.from({ length: SCALE_TASKS }, (_, i) => ({ id: `t${i}`, action_type: "wait" as const, action_config: { ms: WAIT_MS } })),
    };
    for (const n of [1, 2, 4]) {
      const workers = await Promise.all(Array.from({ length: n }, () => startWorker(redisUrl, prefix, WORKER_CONCURRENCY)));
      const engine = benchEngine({ executor: "queue", redisUrl, redisPrefix: prefix, persist: "memory", concurrency: 64 });
      try {
        await timeRun(engine, zeroWorkPlan(20, "fanout")); // warm-up: connections, scripts, queues
        const wall = await median(reps, () => timeRun(engine, waits));
        const one = scaling[0]?.wall_ms ?? wall;
        scaling.push({
          workers: n,
          wall_ms: round(wall, 1),
          tasks_per_s: round((SCALE_TASKS * 1000) / wall, 1),
          vs_one_worker: round(one / wall),
        });
        log(`  ${n} worker(s): ${round(wall)} ms`);
      } finally {
        await engine.close();
        await stopWorkers(workers);
      }
    }
    const [worker] = [await startWorker(redisUrl, prefix, 64)];
    const queued = benchEngine({ executor: "queue", redisUrl, redisPrefix: prefix, persist: "memory", concurrency: 64 });
    const local = benchEngine({ persist: "memory", concurrency: 64 });
    try {
      for (const [shape, n] of [
        ["fanout", quick ? 200 : 400],
        ["chain", quick ? 50 : 100],
      ] as const) {
        const plan = zeroWorkPlan(n, shape);
        await timeRun(queued, plan);
        await timeRun(local, plan);
        const inProcess: number[] = [];
        const viaQueue: number[] = [];
        // Alternated, so that a busy moment on this shared machine falls on both sides.
        for (let i = 0; i < reps + 2; i++) {
          inProcess.push(await timeRun(local, plan));
          viaQueue.push(await timeRun(queued, plan));
        }
        const a = middle(inProcess);
        const b = middle(viaQueue);
        overhead.push({ shape, tasks: n, in_process_ms: round(a, 1), queue_ms: round(b, 1), overhead_per_task_ms: round((b - a) / n, 3) });
      }
    } finally {
      await Promise.all([queued.close(), local.close()]);
      await stopWorkers([worker]);
    }
  } finally {
    const redis = openRedis(redisUrl, silentLogger());
    await deleteKeysWithPrefix(redis, prefix).finally(() => closeRedis(redis));
  }
  const two = scaling.find((r) => r.workers === 2);
  const summary: SummaryRow[] = [
    ...(two
      ? [atLeast("9 queue", `2 workers ÷ 1 worker, ${SCALE_TASKS} × ${WAIT_MS} ms waits`, two.vs_one_worker, 1.8, `${two.vs_one_worker}×`)]
      : []),
    ...scaling.map((r) => info("9 queue", `${r.workers} worker(s): tasks per second`, `${r.tasks_per_s}/s (${r.vs_one_worker}× one)`)),
    ...overhead.map((o) =>
      info(
        "9 queue",
        `queue vs in-process, zero-work ${o.shape} ${o.tasks}`,
        `+${o.overhead_per_task_ms} ms/task (${o.queue_ms} vs ${o.in_process_ms} ms)`,
      ),
    ),
  ];
  return { scaling, overhead, summary };
}

function middle(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function startWorker(redisUrl: string, prefix: string, concurrency: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [path.resolve("main.js"), "worker", "--concurrency", String(concurrency), "--actions", "wait,transform_data"],
    {
      env: { ...process.env, REDIS_URL: redisUrl, REDIS_PREFIX: prefix, LOG_LEVEL: "warn" },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  const lines = createInterface({ input: child.stderr ?? process.stdin });
  await new Promise<void>((resolve, reject) => {
    lines.on("line", (line) => (line.includes(": serving ") ? resolve() : undefined));
    child.once("exit", (code) => reject(new Error(`bench worker exited (${code})`)));
  });
  return child;
}

async function stopWorkers(workers: ChildProcess[]): Promise<void> {
  await Promise.all(
    workers.map(async (w) => {
      if (w.exitCode !== null) return;
      const exited = once(w, "exit");
      w.kill("SIGTERM");
      await exited;
    }),
  );
}
