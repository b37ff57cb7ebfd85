import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, describe, expect, it } from "vitest";
import { WorkflowEngine } from "../../../src/engine/workflow-engine.js";
import { queueRoutes } from "../../../src/server/routes/queues.js";
import { inTestWorker, queuePrefix, REDIS_URL } from "../../fixtures/queue.js";

const { prefix, cleanup } = queuePrefix("routes");
afterAll(cleanup);

async function appFor(engine: WorkflowEngine): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(queueRoutes, { metrics: () => engine.queueMetrics() });
  return app;
}

describe("GET /queues", () => {
  it("shows each action type's queue and the workers serving it when tasks run on queue workers", async () => {
    const { worker } = inTestWorker({ keyPrefix: prefix, actions: ["api_call"] });
    await worker.start();
    const engine = new WorkflowEngine({ executor: "queue", redisUrl: REDIS_URL, redisPrefix: prefix, persist: "memory", env: {} });
    const app = await appFor(engine);
    try {
      const body = (await app.inject({ method: "GET", url: "/queues" })).json();
      expect(body.executor).toBe("queue");
      expect(body.queues).toHaveLength(5);
      expect(body.queues.find((q: { actionType: string }) => q.actionType === "api_call")).toMatchObject({
        queue: "tasks-api_call",
        waiting: 0,
        active: 0,
        failed: 0,
        workers: 1,
      });
      expect(body.queues.find((q: { actionType: string }) => q.actionType === "wait")).toMatchObject({ workers: 0 });
    } finally {
      await app.close();
      await engine.close();
      await worker.close(0);
    }
  });

  it("answers an empty list for an engine that runs tasks in process", async () => {
    const engine = new WorkflowEngine({ persist: "memory", env: {} });
    const app = await appFor(engine);
    expect((await app.inject({ method: "GET", url: "/queues" })).json()).toEqual({ executor: "in-process", queues: [] });
    await app.close();
    await engine.close();
  });
});
