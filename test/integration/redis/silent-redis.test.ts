import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkflowEvent } from "../../../src/model/events.js";
import { createPublisher, RedisEventStream } from "../../../src/persistence/event-stream.js";
import { PlanCache } from "../../../src/persistence/plan-cache.js";
import { RedisAvailability } from "../../../src/persistence/redis-availability.js";
import { closeRedis, openRedis } from "../../../src/persistence/redis-connection.js";
import type { Logger } from "../../../utils/logger.js";

/** A logger that records warnings. */
function recordingLogger(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const ignore = () => undefined;
  const warn: Logger["warn"] = (objOrMsg, msg) => warnings.push(typeof objOrMsg === "string" ? objOrMsg : (msg ?? ""));
  const logger: Logger = { trace: ignore, debug: ignore, info: ignore, warn, error: ignore, child: () => logger };
  return { logger, warnings };
}

/** Await `promise`, failing the test if it takes longer than `ms` (a hang is the bug under test). */
async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

describe("Redis features against a server that accepts connections and never answers", () => {
  let server: Server;
  const sockets = new Set<Socket>();
  let url: string;

  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => undefined);
      socket.resume();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no TCP address");
    url = `redis://127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("misses the plan cache, drops events and flushes, warning once for the whole outage", async () => {
    const { logger, warnings } = recordingLogger();
    const redis = openRedis(url, logger, { connectTimeoutMs: 300, commandTimeoutMs: 300 });
    try {
      const availability = new RedisAvailability(redis, logger, 300);
      const cache = new PlanCache(redis, { prefix: "wfe-silent:", logger, availability });
      const stream = new RedisEventStream(redis, { prefix: "wfe-silent:", logger, availability });
      const publish = createPublisher(stream);
      const key = { goal: "g", planner: "rules" as const, variableNames: [] };
      expect(await withDeadline(cache.get(key), 10_000, "a plan cache read")).toBeUndefined();
      await withDeadline(cache.set(key, { plan: { tasks: [] }, planner: "rules", cached_at: "" }), 10_000, "a plan cache write");
      const events: WorkflowEvent[] = Array.from({ length: 200 }, (_, i) => ({
        type: "task_started",
        run_id: "r",
        at: "",
        task_id: `t${i}`,
      }));
      for (const e of events) publish(e);
      await withDeadline(publish.flush(), 10_000, "flushing 200 events");
      expect(warnings.filter((w) => /Redis does not answer/.test(w))).toHaveLength(1);
      await expect(withDeadline(stream.hasEvents("r"), 10_000, "hasEvents")).rejects.toMatchObject({
        code: "REDIS_UNAVAILABLE",
        retryable: true,
        message: expect.stringContaining(`Redis at ${url}/0 (REDIS_URL) is unavailable: it did not answer within 300 ms`),
      });
    } finally {
      await withDeadline(closeRedis(redis), 10_000, "closing");
    }
  });

  it("times out a command queued on a connection that never becomes ready", async () => {
    const { logger } = recordingLogger();
    const redis = openRedis(url, logger, { commandTimeoutMs: 300 });
    try {
      await expect(withDeadline(redis.get("k"), 10_000, "a raw GET")).rejects.toThrow("Command timed out");
    } finally {
      await closeRedis(redis);
    }
  });
});
