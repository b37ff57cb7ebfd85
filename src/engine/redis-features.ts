import type { Redis } from "ioredis";
import type { Logger } from "../../utils/logger.js";
import { createPublisher, type EventPublisher, RedisEventStream } from "../persistence/event-stream.js";
import { PlanCache } from "../persistence/plan-cache.js";
import { RedisAvailability } from "../persistence/redis-availability.js";
import { closeRedis, DEFAULT_REDIS_TIMEOUT_MS, openRedis, resolveKeyPrefix } from "../persistence/redis-connection.js";

export interface RedisSettings {
  url: string;
  prefix?: string;
  planCacheTtlSeconds?: number;
  /** Bound on connecting and on each command's answer (default 2000 ms): a silent Redis must not hang a run. */
  timeoutMs?: number;
  logger: Logger;
}

/** What the engine does with Redis (REDIS_URL): a plan cache and a live event stream per run. */
export class RedisFeatures {
  readonly planCache: PlanCache;
  readonly events: RedisEventStream;
  readonly publish: EventPublisher;
  private readonly redis: Redis;

  constructor(settings: RedisSettings) {
    const prefix = resolveKeyPrefix(settings.prefix);
    const timeoutMs = settings.timeoutMs ?? DEFAULT_REDIS_TIMEOUT_MS;
    this.redis = openRedis(settings.url, settings.logger, { connectTimeoutMs: timeoutMs, commandTimeoutMs: timeoutMs });
    // One view of Redis's health for both features: a silent Redis costs one wait per outage, not one per feature.
    const availability = new RedisAvailability(this.redis, settings.logger, timeoutMs);
    const common = { prefix, logger: settings.logger, availability };
    this.planCache = new PlanCache(this.redis, {
      ...common,
      ...(settings.planCacheTtlSeconds ? { ttlSeconds: settings.planCacheTtlSeconds } : {}),
    });
    this.events = new RedisEventStream(this.redis, common);
    this.publish = createPublisher(this.events);
  }

  /** Wait for queued events to reach Redis, then disconnect. */
  async close(): Promise<void> {
    await this.publish.flush();
    await closeRedis(this.redis);
  }
}
