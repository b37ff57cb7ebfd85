import type { RedisOptions } from "bullmq";
import { ErrorCode, WorkflowError } from "../model/errors.js";

/**
 * ioredis options for REDIS_URL, given to BullMQ as options (not as a client) so that it makes each connection
 * itself: its blocking ones (QueueEvents, Worker) then wait through an outage (`maxRetriesPerRequest: null`),
 * while a producer's commands give up after a few reconnects and the attempt fails as QUEUE_UNAVAILABLE, which the
 * failure policy retries: a Redis restart is waited out, a Redis that stays down fails the run.
 */
export function redisOptionsFromUrl(url: string, role: "producer" | "blocking"): RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badUrl();
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") throw badUrl();
  const db = parsed.pathname.replace(/^\//, "");
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1",
    port: parsed.port ? Number(parsed.port) : 6379,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(db && /^\d+$/.test(db) ? { db: Number(db) } : {}),
    ...(parsed.protocol === "rediss:" ? { tls: {} } : {}),
    connectTimeout: 5000,
    // Reconnect quickly and keep trying: a restarted Redis is back within a second or two.
    retryStrategy: (times: number) => Math.min(times * 200, 2000),
    maxRetriesPerRequest: role === "blocking" ? null : 8,
  };
}

function badUrl(): WorkflowError {
  return new WorkflowError(
    ErrorCode.ConfigInvalid,
    "REDIS_URL is not a redis:// or rediss:// URL; the queue executor and workers need one, e.g. redis://127.0.0.1:6379.",
  );
}
