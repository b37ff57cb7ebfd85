import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { z } from "zod";
import { ErrorCode, WorkflowError } from "../model/errors.js";
import { type Logger, silentLogger } from "../../utils/logger.js";
import { RedisAvailability } from "./redis-availability.js";
import { DEFAULT_REDIS_TIMEOUT_MS } from "./redis-connection.js";
import { PlannerKind } from "../model/planner.js";
import type { CachedPlan, PlanCacheKey, PlanStore } from "../plan/plan-entry.js";

/** A stored plan; `plan` is re-validated by the engine before anything runs. */
const CachedPlanSchema = z.object({
  plan: z.unknown().refine((p) => p !== undefined && p !== null, "a cached plan must not be empty"),
  planner: z.enum(PlannerKind),
  cached_at: z.string(),
});

export interface PlanCacheOptions {
  /** Key prefix, e.g. "wfe:" (see resolveKeyPrefix). */
  prefix: string;
  /** How long a plan stays cached. Default 86400 (one day). */
  ttlSeconds?: number;
  logger?: Logger;
  /** Shared with the engine's other Redis features, so an outage costs one wait in all; default: its own. */
  availability?: RedisAvailability;
}

/** Bump when the key material or the stored shape changes, so old entries stop matching. */
const KEY_VERSION = 1;

/**
 * Caches plans in Redis by goal, planner and variable names. It never fails a run: a Redis error
 * or a corrupt value is logged and treated as a miss.
 */
export class PlanCache implements PlanStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #ttlSeconds: number;
  readonly #logger: Logger;
  readonly #availability: RedisAvailability;

  constructor(redis: Redis, options: PlanCacheOptions) {
    const ttl = options.ttlSeconds ?? 86_400;
    if (!Number.isInteger(ttl) || ttl < 1) {
      throw new WorkflowError(ErrorCode.ConfigInvalid, `The plan cache TTL must be a whole number of seconds of at least 1, got ${ttl}.`);
    }
    this.#redis = redis;
    this.#prefix = options.prefix;
    this.#ttlSeconds = ttl;
    this.#logger = (options.logger ?? silentLogger()).child({ component: "plan-cache" });
    this.#availability = options.availability ?? new RedisAvailability(redis, this.#logger, DEFAULT_REDIS_TIMEOUT_MS);
  }

  /** `<prefix>plan:<sha256 of the canonical input>`. */
  key(input: PlanCacheKey): string {
    const digest = createHash("sha256").update(canonicalKeyJson(input)).digest("hex");
    return `${this.#prefix}plan:${digest}`;
  }

  /** The cached plan for this input, or undefined on a miss, a corrupt value or a Redis error. */
  async get(input: PlanCacheKey): Promise<CachedPlan | undefined> {
    const key = this.key(input);
    if (!(await this.#availability.available())) return this.#miss(key, "Redis is unreachable");
    let raw: string | null;
    try {
      raw = await this.#redis.get(key);
    } catch (err) {
      this.#availability.failed(err);
      this.#logger.warn({ key, err: errorMessage(err) }, "Plan cache read failed; planning without the cache");
      return undefined;
    }
    if (raw === null) return this.#miss(key, "not cached");
    const parsed = CachedPlanSchema.safeParse(parseJson(raw));
    if (!parsed.success) {
      this.#logger.warn({ key }, "Plan cache value is corrupt; treating it as a miss");
      return undefined;
    }
    this.#logger.debug({ key }, "plan cache hit");
    return parsed.data as CachedPlan;
  }

  /** Stores a plan with the TTL; errors are logged and ignored. */
  async set(input: PlanCacheKey, plan: CachedPlan): Promise<void> {
    const key = this.key(input);
    if (!(await this.#availability.available())) {
      this.#logger.debug({ key }, "Redis is unreachable; plan not cached");
      return;
    }
    try {
      await this.#redis.set(key, JSON.stringify(plan), "EX", this.#ttlSeconds);
    } catch (err) {
      this.#availability.failed(err);
      this.#logger.warn({ key, err: errorMessage(err) }, "Plan cache write failed; the plan is not cached");
    }
  }

  #miss(key: string, reason: string): undefined {
    this.#logger.debug({ key, reason }, "plan cache miss");
    return undefined;
  }
}

/** The key material with a fixed field order: goal trimmed and whitespace-collapsed, names sorted. */
function canonicalKeyJson(input: PlanCacheKey): string {
  return JSON.stringify({
    v: KEY_VERSION,
    goal: input.goal.trim().replace(/\s+/g, " "),
    planner: input.planner,
    model: input.model ?? null,
    baseURL: input.baseURL ?? null,
    variableNames: [...new Set(input.variableNames)].sort(),
  });
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
