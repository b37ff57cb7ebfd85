import type { FastifyInstance } from "fastify";
import type { QueueMetrics } from "../../model/executor.js";

export interface QueueRouteDeps {
  /** The task queues' counts and workers, undefined when tasks run in process (`engine.queueMetrics()`). */
  metrics: () => Promise<QueueMetrics[] | undefined>;
}

/**
 * `GET /queues`: per action type, the task queue's waiting, active, delayed, failed and completed jobs and the
 * workers serving it (BullMQ's own counts), when the engine runs tasks on queue workers; else `queues: []`.
 * Register with `app.register(queueRoutes, { metrics: () => engine.queueMetrics() })`.
 */
export async function queueRoutes(app: FastifyInstance, deps: QueueRouteDeps): Promise<void> {
  app.get("/queues", { schema: { tags: ["queues"], summary: "The task queues' depth and workers (executor: queue)" } }, async () => {
    const queues = await deps.metrics();
    return { executor: queues ? "queue" : "in-process", queues: queues ?? [] };
  });
}
