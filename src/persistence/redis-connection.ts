import { Redis } from "ioredis";
import { ErrorCode, WorkflowError } from "../model/errors.js";
import type { Logger } from "../../utils/logger.js";

/** Every key the engine writes starts with this unless configured otherwise. */
export const DEFAULT_KEY_PREFIX = "wfe:";

/** Default bound on connecting and on each command's answer: Redis is an accessory, never worth a hang. */
export const DEFAULT_REDIS_TIMEOUT_MS = 2000;

export interface OpenRedisOptions {
  /** How long one connection attempt may take before it counts as failed. Default 2000 ms. */
  connectTimeoutMs?: number;
  /**
   * How long a command may wait for its answer, queued while connecting included, before it fails. A
   * Redis that accepts connections and never answers would otherwise keep every command, and the
   * process, waiting forever. Default 2000 ms.
   */
  commandTimeoutMs?: number;
  /** Shown by CLIENT LIST; duplicated connections (stream watchers) carry it too. Default "wfe". */
  connectionName?: string;
}

/**
 * Connects to REDIS_URL. Commands fail after two reconnection attempts or `commandTimeoutMs` rather
 * than waiting forever, and connection errors are logged instead of crashing the process.
 */
export function openRedis(url: string, logger: Logger, options: OpenRedisOptions = {}): Redis {
  assertRedisUrl(url);
  const redis = new Redis(url, {
    lazyConnect: false,
    maxRetriesPerRequest: 2,
    connectTimeout: options.connectTimeoutMs ?? DEFAULT_REDIS_TIMEOUT_MS,
    commandTimeout: options.commandTimeoutMs ?? DEFAULT_REDIS_TIMEOUT_MS,
    connectionName: options.connectionName ?? "wfe",
    // Short, capped backoff: an outage should fail commands quickly, not park them for seconds.
    retryStrategy: (times) => Math.min(times * 100, 1000),
  });
  logRedisErrors(redis, logger.child({ redis: redactRedisUrl(url) }));
  return redis;
}

/**
 * Logs connection errors at warn. Without an `error` listener ioredis prints every failed reconnect
 * to the console; this logs the first of each outage and stays quiet until the connection is back.
 */
export function logRedisErrors(redis: Redis, logger: Logger): void {
  let lastMessage: string | undefined;
  redis.on("ready", () => {
    lastMessage = undefined;
  });
  redis.on("error", (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    if (message === lastMessage) return;
    lastMessage = message;
    logger.warn({ err: message }, "Redis connection error; Redis features degrade until it reconnects");
  });
}

/** Closes a client: QUIT when connected (pending replies arrive first), else drop the socket. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === "end") return;
  if (redis.status !== "ready") {
    redis.disconnect();
    return;
  }
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}

/** Checks a configured key prefix; undefined gives the default `wfe:`. */
export function resolveKeyPrefix(prefix: string | undefined): string {
  if (prefix === undefined) return DEFAULT_KEY_PREFIX;
  if (prefix.length === 0 || prefix.length > 100 || /\s/.test(prefix)) {
    throw new WorkflowError(
      ErrorCode.ConfigInvalid,
      `The Redis key prefix "${prefix}" is invalid: use 1 to 100 characters without spaces, e.g. "wfe:".`,
    );
  }
  return prefix;
}

/** Every key under `prefix`, found with SCAN (never KEYS, which blocks the server). */
export async function scanKeys(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  const pattern = `${escapeGlob(prefix)}*`;
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 500);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== "0");
  return [...new Set(keys)];
}

/** Deletes every key under `prefix` (SCAN + DEL); returns how many were deleted. */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<number> {
  const keys = await scanKeys(redis, prefix);
  let deleted = 0;
  for (let i = 0; i < keys.length; i += 500) {
    deleted += await redis.del(...keys.slice(i, i + 500));
  }
  return deleted;
}

/** The URL without its password, for logs and error messages. */
function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "<unparseable URL>";
  }
}

function assertRedisUrl(url: string): void {
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== "redis:" && protocol !== "rediss:") {
    throw new WorkflowError(
      ErrorCode.ConfigInvalid,
      `REDIS_URL "${redactRedisUrl(url)}" is not a redis:// or rediss:// URL. ` +
        "Set it like redis://127.0.0.1:6379 or unset it to run without Redis.",
    );
  }
}

/** SCAN MATCH treats * ? [ ] and \ as glob syntax; a prefix must match itself literally. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}
