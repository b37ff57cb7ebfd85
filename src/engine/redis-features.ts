import type { Redis } from "ioredis";
import type { Logger } from "../../utils/logger.js";
import { createPublisher, type EventPublisher, RedisEventStream } from "../persistence/event-stream.js";
import { PlanCache } from "../persistence/plan-cache.js";
import { closeRedis, openRedis, resolveKeyPrefix } from "../persistence/redis-connection.js";

export interface RedisSettings {
  url: string;
  prefix?: string;
  planCacheTtlSeconds?: number;
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
    this.redis = openRedis(settings.url, settings.logger);
    this.planCache = new PlanCache(this.redis, { prefix, logger: settings.logger, ...(settings.planCacheTtlSeconds ? { ttlSeconds: settings.planCacheTtlSeconds } : {}) });
    this.events = new RedisEventStream(this.redis, { prefix, logger: settings.logger });
    this.publish = createPublisher(this.events);
  }

  /** Wait for queued events to reach Redis, then disconnect. */
  async close(): Promise<void> {
    await this.publish.flush();
    await closeRedis(this.redis);
  }
}
