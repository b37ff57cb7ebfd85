import { writeFileSync } from "node:fs";
import path from "node:path";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkflowEngine } from "../../../src/engine/workflow-engine.js";
import type { PlanInput } from "../../../src/model/plan-schema.js";
import { bullPrefix, queueName } from "../../../src/queue/queue-names.js";
import { COMPLETED_LINE, spawnCli } from "../../fixtures/cli-child.js";
import { runCli } from "../../fixtures/cli.js";
import { makeTempDir } from "../../fixtures/context.js";
import { type CountingServer, startCountingServer } from "../../fixtures/counting-server.js";
import { eventually, queuePrefix, REDIS_URL } from "../../fixtures/queue.js";
import { freePort, startOwnRedis, startWorker, stopWorkers, type WorkerProcess } from "../../fixtures/worker-process.js";

const { prefix, cleanup } = queuePrefix("faults");
const FAST_STALL = ["--lock-seconds", "2", "--stalled-check-seconds", "1"];
let server: CountingServer;
const running: WorkerProcess[] = [];

beforeAll(async () => {
  server = await startCountingServer(() => 150);
});
afterAll(async () => {
  await stopWorkers(running.splice(0));
  await server.close();
  await cleanup();
});

function postPlan(n: number, base: string, retry?: { max_attempts: number; backoff_ms: number }): PlanInput {
  return {
    tasks: Array.from({ length: n }, (_, i) => ({
      id: `t${i}`,
      action_type: "api_call" as const,
      action_config: { method: "POST", url: `${server.url}${base}/${i}` },
      ...(retry ? { retry } : {}),
    })),
  };
}

describe("queue faults", () => {
  it("kill -9 of the coordinator, then runs resume: jobs that finished meanwhile are not enqueued again; every task runs once", async () => {
    const { dir, cleanup: removeDir } = await makeTempDir("wf-queue-coord-");
    const fleet = await Promise.all([startWorker(REDIS_URL, prefix), startWorker(REDIS_URL, prefix)]);
    running.push(...fleet);
    const env = { REDIS_URL, REDIS_PREFIX: prefix };
    const tasks = 40;
    const planFile = path.join(dir, "plan.json");
    writeFileSync(planFile, JSON.stringify(postPlan(tasks, "/coord")));
    const queue = new Queue(queueName("api_call"), { connection: { url: REDIS_URL }, prefix: bullPrefix(prefix) });
    try {
      let completed = 0;
      const coordinator = spawnCli(
        ["--executor", "queue", "--plan", planFile, "--run-id", "coord-1", "--workspace", dir, "--concurrency", "8"],
        {
          env,
          onLine: (line, child) => {
            if (COMPLETED_LINE.test(line) && ++completed === 10) child.kill();
          },
        },
      );
      const killed = await coordinator.exited;
      expect(killed.signal).toBe("SIGKILL");
      // The jobs it had enqueued finish with no coordinator listening.
      await eventually(
        async () => {
          const c = await queue.getJobCounts("waiting", "active");
          return c.waiting === 0 && c.active === 0;
        },
        30_000,
        "the orphaned jobs to finish",
      );
      const finishedWhileDead = await queue.getJobCounts("completed");
      const resumed = await runCli(["runs", "resume", "coord-1", "--executor", "queue", "--workspace", dir, "--json"], {
        env,
        timeoutMs: 120_000,
      });
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(JSON.parse(resumed.stdout).status).toBe("completed");
      for (let i = 0; i < tasks; i++) expect(server.hits(`/coord/${i}`)).toBe(1);
      const ended = fleet.flatMap((w) => [...w.ended.values()]);
      expect(ended.reduce((a, b) => a + b, 0)).toBe(tasks);
      expect(Math.max(...ended)).toBe(1);
      console.log(
        `coordinator killed after 10 completions; ${finishedWhileDead.completed} jobs had finished by the resume, none ran again`,
      );
    } finally {
      await queue.close();
      await stopWorkers(running.splice(0));
      await removeDir();
    }
  });

  it("Redis killed and restarted empty mid-run: the run continues (lost jobs are retried as new attempts), and nothing is reported completed that did not run", async () => {
    const redis = await startOwnRedis(await freePort());
    const ownPrefix = "wfe-test-restart:";
    const fleet = await Promise.all([startWorker(redis.url, ownPrefix, FAST_STALL), startWorker(redis.url, ownPrefix, FAST_STALL)]);
    running.push(...fleet);
    const engine = new WorkflowEngine({
      executor: "queue",
      redisUrl: redis.url,
      redisPrefix: ownPrefix,
      persist: "memory",
      concurrency: 8,
      env: {},
    });
    let restarted: Awaited<ReturnType<typeof startOwnRedis>> | undefined;
    const tasks = 40;
    try {
      const run = engine.run(postPlan(tasks, "/restart", { max_attempts: 6, backoff_ms: 300 }), { runId: "restart-1" });
      const hits = () => Array.from({ length: tasks }, (_, i) => server.hits(`/restart/${i}`)).reduce((a, b) => a + b, 0);
      await eventually(() => hits() >= 12, 30_000, "12 hits");
      await redis.kill();
      restarted = await startOwnRedis(Number(new URL(redis.url).port));
      const result = await run;
      const retried = result.tasks.filter((t) => t.attempts > 1).length;
      console.log(
        `Redis restarted empty after 12 hits: run ${result.status}, ${retried} tasks needed another attempt, ${hits()} hits for ${tasks} tasks`,
      );
      expect(["completed", "failed"]).toContain(result.status);
      for (const t of result.tasks) {
        if (t.status !== "completed") continue;
        expect(server.hits(`/restart/${t.id.slice(1)}`)).toBeGreaterThanOrEqual(1);
        expect(t.result).toMatchObject({ status: 200, data: { value: `value-restart/${t.id.slice(1)}` } });
      }
      expect(result.status).toBe("completed");
    } finally {
      await engine.close();
      await stopWorkers(running.splice(0));
      await (restarted ?? redis).kill();
    }
  });
});
