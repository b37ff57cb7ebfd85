import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkflowEngine } from "../../../src/engine/workflow-engine.js";
import type { WorkflowEvent } from "../../../src/model/events.js";
import type { PlanInput } from "../../../src/model/plan-schema.js";
import { type CountingServer, startCountingServer } from "../../fixtures/counting-server.js";
import { eventually, queuePrefix, REDIS_URL } from "../../fixtures/queue.js";
import { startWorker, stopWorkers, type WorkerProcess } from "../../fixtures/worker-process.js";

// Worker processes (`node main.js worker`, dist/) against the shared Redis under a prefix of this file's own; the
// coordinator is an engine in this process. Every task is a POST to the counting server, which counts hits per path
// and keeps each one's Idempotency-Key and arrival time.
const { prefix, cleanup } = queuePrefix("fleet");
const FAST_STALL = ["--lock-seconds", "2", "--stalled-check-seconds", "1"];
let server: CountingServer;
const running: WorkerProcess[] = [];

beforeAll(async () => {
  server = await startCountingServer((path) => (path.startsWith("/slow") ? 150 : 5));
});
afterAll(async () => {
  await stopWorkers(running.splice(0));
  await server.close();
  await cleanup();
});

function postPlan(n: number, path: (i: number) => string): PlanInput {
  const tasks = Array.from({ length: n }, (_, i) => ({
    id: `t${i}`,
    action_type: "api_call" as const,
    action_config: { method: "POST", url: `${server.url}${path(i)}`, body: { i } },
  }));
  return { tasks };
}

function coordinator(events: (e: WorkflowEvent) => void = () => {}): WorkflowEngine {
  return new WorkflowEngine({
    executor: "queue",
    redisUrl: REDIS_URL,
    redisPrefix: prefix,
    persist: "memory",
    concurrency: 64,
    env: {},
    onEvent: events,
  });
}

async function workers(n: number, args: string[] = []): Promise<WorkerProcess[]> {
  const started = await Promise.all(Array.from({ length: n }, () => startWorker(REDIS_URL, prefix, args)));
  running.push(...started);
  return started;
}

describe("a fleet of worker processes", () => {
  it("runs a 200-task plan across 3 workers, each task exactly once", async () => {
    const fleet = await workers(3, ["--concurrency", "16"]);
    const engine = coordinator();
    try {
      const result = await engine.run(
        postPlan(200, (i) => `/once/${i}`),
        { runId: "fleet-200" },
      );
      expect(result.status).toBe("completed");
      for (let i = 0; i < 200; i++) {
        expect(server.hits(`/once/${i}`)).toBe(1);
        expect(server.log(`/once/${i}`)[0]?.idempotencyKey).toBe(`fleet-200:t${i}`);
      }
      const perWorker = fleet.map((w) => [...w.ended.values()].reduce((a, b) => a + b, 0));
      expect(perWorker.reduce((a, b) => a + b, 0)).toBe(200);
      // Each of the three took a share (BullMQ hands a job to whichever worker asks first).
      for (const n of perWorker) expect(n).toBeGreaterThan(0);
    } finally {
      await engine.close();
      await stopWorkers(running.splice(0));
    }
  });

  it("kill -9 of one worker mid-run, at several points: every task completes, none runs more than twice, no completed task runs again", async () => {
    const tasks = 60;
    const killPoints = [5, 20, 35, 50];
    const trials: { killAfterHits: number; repeated: number }[] = [];
    for (const [trial, killAt] of killPoints.entries()) {
      const fleet = await workers(3, ["--concurrency", "8", ...FAST_STALL]);
      const completedAt = new Map<string, number>();
      const engine = coordinator((e) => {
        if (e.type === "task_completed" && e.task_id) completedAt.set(e.task_id, Date.now());
      });
      const path = (i: number) => `/slow/kill${trial}/${i}`;
      const hits = () => Array.from({ length: tasks }, (_, i) => server.hits(path(i))).reduce((a, b) => a + b, 0);
      try {
        const run = engine.run(postPlan(tasks, path), { runId: `fleet-kill-${trial}` });
        await eventually(() => hits() >= killAt, 30_000, `${killAt} hits`);
        const victim = fleet[trial % fleet.length];
        victim?.child.kill();
        await victim?.child.exited;
        const result = await run;
        expect(result.status).toBe("completed");
        let repeated = 0;
        for (let i = 0; i < tasks; i++) {
          const log = server.log(path(i));
          expect(log.length).toBeGreaterThanOrEqual(1);
          expect(log.length).toBeLessThanOrEqual(2);
          for (const hit of log) expect(hit.idempotencyKey).toBe(`fleet-kill-${trial}:t${i}`);
          if (log.length === 2) {
            repeated++;
            // The repeat reached the API before the engine saw the task complete: it was not a completed one.
            expect(log[1]?.at).toBeLessThanOrEqual(completedAt.get(`t${i}`) ?? 0);
          }
        }
        trials.push({ killAfterHits: killAt, repeated });
      } finally {
        await engine.close();
        await stopWorkers(running.splice(0));
      }
    }
    console.log(`kill -9 trials (${tasks} tasks, 3 workers, one killed): ${JSON.stringify(trials)}`);
    expect(trials).toHaveLength(killPoints.length);
  });

  it("workers started with --actions serve only those action types", async () => {
    const [waits] = await workers(1, ["--actions", "wait"]);
    const [calls] = await workers(1, ["--actions", "api_call,transform_data"]);
    const engine = coordinator();
    try {
      const plan = postPlan(10, (i) => `/typed/${i}`);
      plan.tasks.push(
        ...Array.from({ length: 10 }, (_, i) => ({
          id: `w${i}`,
          action_type: "wait" as const,
          action_config: { ms: 5 },
          dependencies: [`t${i}`],
        })),
        { id: "sum", action_type: "transform_data", action_config: { input: [1, 2], expression: "$sum($)" } },
      );
      const result = await engine.run(plan, { runId: "fleet-typed" });
      expect(result.status).toBe("completed");
      expect([...(waits?.types ?? [])]).toEqual(["wait"]);
      expect([...(calls?.types ?? [])].sort()).toEqual(["api_call", "transform_data"]);
      expect(waits?.ended.size).toBe(10);
      expect(calls?.ended.size).toBe(11);
    } finally {
      await engine.close();
      await stopWorkers(running.splice(0));
    }
  });
});
