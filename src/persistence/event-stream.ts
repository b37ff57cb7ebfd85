import type { Redis } from "ioredis";
import { type WorkflowEvent, WorkflowEventType } from "../model/events.js";
import { ErrorCode, WorkflowError } from "../model/errors.js";
import { type Logger, silentLogger } from "../../utils/logger.js";
import { RedisAvailability } from "./redis-availability.js";
import { DEFAULT_REDIS_TIMEOUT_MS, logRedisErrors } from "./redis-connection.js";

export interface RedisEventStreamOptions {
  /** Key prefix, e.g. "wfe:" (see resolveKeyPrefix). */
  prefix: string;
  /** Approximate cap on entries per run stream (XADD MAXLEN ~). Default 10000. */
  maxLen?: number;
  /** The stream expires this long after run_completed. Default 86400 (one day). */
  ttlSeconds?: number;
  logger?: Logger;
  /** Shared with the engine's other Redis features, so an outage costs one wait in all; default: its own. */
  availability?: RedisAvailability;
}

export interface WatchOptions {
  /** Stops the watch, even while it is blocked waiting for events. */
  signal?: AbortSignal;
  /** Replay the run's events from its first one (default), or only those published from now on. */
  fromStart?: boolean;
  /** How long one XREAD blocks before it asks again. Default 5000 ms. */
  blockMs?: number;
  /** Only the events after this stream entry id (a reconnecting client's Last-Event-ID); overrides fromStart. */
  after?: string;
}

/** An event with its stream entry id: the id a client hands back to continue after it. */
export interface EventEntry {
  id: string;
  event: WorkflowEvent;
}

/** Fire-and-forget publishing that keeps events in order; `flush` waits until all have been sent. */
export interface EventPublisher {
  (event: WorkflowEvent): void;
  flush(): Promise<void>;
}

type StreamEntry = [id: string, fields: string[]];

/** A Redis stream entry id: milliseconds, a dash, a sequence number. */
const STREAM_ID = /^\d{1,20}-\d{1,20}$/;
/** How many entries one XREAD returns at most. */
const READ_BATCH = 100;
/** A blocking XREAD may take its BLOCK time; its answer gets this much longer before the read counts as lost. */
const READ_ANSWER_MS = DEFAULT_REDIS_TIMEOUT_MS;

/**
 * The live events of each run on a Redis Stream (`<prefix>events:<run_id>`), so another process can
 * follow a run. Publishing never throws: the stream is an observer and must not fail the run.
 */
/** How much longer than a finished run's stream an unfinished run's stream is kept. */
export const ABANDONED_TTL_FACTOR = 7;

export class RedisEventStream {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #maxLen: number;
  readonly #ttlSeconds: number;
  readonly #logger: Logger;
  readonly #availability: RedisAvailability;

  constructor(redis: Redis, options: RedisEventStreamOptions) {
    this.#redis = redis;
    this.#prefix = options.prefix;
    this.#maxLen = positiveInteger("event stream maxLen", options.maxLen ?? 10_000);
    this.#ttlSeconds = positiveInteger("event stream ttlSeconds", options.ttlSeconds ?? 86_400);
    this.#logger = (options.logger ?? silentLogger()).child({ component: "event-stream" });
    this.#availability = options.availability ?? new RedisAvailability(redis, this.#logger, DEFAULT_REDIS_TIMEOUT_MS);
  }

  /** The stream key of a run. */
  key(runId: string): string {
    return `${this.#prefix}events:${runId}`;
  }

  /** Appends one event; on run_completed the stream also gets its TTL. Logs and drops on error. */
  async publish(event: WorkflowEvent): Promise<void> {
    const key = this.key(event.run_id);
    // While Redis is down or silent a command would only wait and fail; dropping keeps the queue short.
    if (!(await this.#availability.available())) {
      this.#logger.debug({ key, type: event.type }, "Redis is unreachable; event dropped");
      return;
    }
    try {
      const maxLen = String(this.#maxLen);
      await this.#redis.xadd(key, "MAXLEN", "~", maxLen, "*", "data", JSON.stringify(event));
      // A finished run's stream expires after ttlSeconds; one that never finishes (its process died)
      // still expires, ABANDONED_TTL_FACTOR times later, counted from its start.
      if (event.type === "run_completed") await this.#redis.expire(key, this.#ttlSeconds);
      else if (event.type === "run_started") await this.#redis.expire(key, this.#ttlSeconds * ABANDONED_TTL_FACTOR);
    } catch (err) {
      this.#availability.failed(err);
      this.#logger.warn({ key, type: event.type, err: errorMessage(err) }, "Publishing an event to Redis failed; dropped");
    }
  }

  /** True when the run has published at least one event (that has not expired); REDIS_UNAVAILABLE when Redis does not answer. */
  async hasEvents(runId: string): Promise<boolean> {
    if (!(await this.#availability.available())) throw this.#availability.unavailable("Following a run's events");
    try {
      return (await this.#redis.exists(this.key(runId))) === 1;
    } catch (err) {
      this.#availability.failed(err);
      throw this.#availability.unavailable("Following a run's events", err);
    }
  }

  /**
   * Yields a run's events in order as they arrive, on its own connection (a blocking XREAD would stall
   * every other command on a shared one). Returns after run_completed or when the signal aborts.
   */
  async *watch(runId: string, options: WatchOptions = {}): AsyncGenerator<WorkflowEvent> {
    for await (const entry of this.follow(runId, options)) yield entry.event;
  }

  /** As `watch`, each event with its entry id (ids increase; resume after one with `after`). */
  async *follow(runId: string, options: WatchOptions = {}): AsyncGenerator<EventEntry> {
    const { signal, fromStart = true, after } = options;
    if (after !== undefined && !STREAM_ID.test(after)) {
      throw new WorkflowError(
        ErrorCode.InputInvalid,
        `The event id ${JSON.stringify(after.slice(0, 40))} is not a stream id such as 1733000000000-0.`,
      );
    }
    const blockMs = positiveInteger("watch blockMs", options.blockMs ?? 5000);
    if (signal?.aborted) return;
    const key = this.key(runId);
    // Its own command timeout: a blocking read may take blockMs before it answers.
    const reader = this.#redis.duplicate({ commandTimeout: blockMs + READ_ANSWER_MS });
    logRedisErrors(reader, this.#logger);
    // Closing the socket is the only way to interrupt a blocked XREAD; the read then rejects.
    const onAbort = () => reader.disconnect();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      let lastId = after ?? (fromStart ? "0-0" : await this.#lastId(reader, key, signal));
      while (lastId !== undefined && !signal?.aborted) {
        const entries = await this.#read(reader, key, lastId, blockMs, signal);
        if (entries === undefined) return;
        for (const [id, fields] of entries) {
          lastId = id;
          const event = this.#decode(key, id, fields);
          if (event === undefined) continue;
          yield { id, event };
          if (event.type === "run_completed") return;
        }
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      reader.disconnect();
    }
  }

  /** The run's events after `after` (all when absent) as stored now, at most maxLen of them; no waiting. */
  async range(runId: string, after?: string): Promise<EventEntry[]> {
    if (after !== undefined && !STREAM_ID.test(after)) {
      throw new WorkflowError(
        ErrorCode.InputInvalid,
        `The event id ${JSON.stringify(after.slice(0, 40))} is not a stream id such as 1733000000000-0.`,
      );
    }
    const key = this.key(runId);
    if (!(await this.#availability.available())) throw this.#availability.unavailable("Reading a run's events");
    try {
      const entries = (await this.#redis.xrange(key, after === undefined ? "-" : `(${after}`, "+", "COUNT", this.#maxLen)) as StreamEntry[];
      return entries.flatMap(([id, fields]) => {
        const event = this.#decode(key, id, fields);
        return event ? [{ id, event }] : [];
      });
    } catch (err) {
      this.#availability.failed(err);
      throw this.#readError(key, err);
    }
  }

  /** The id of the newest entry ("0-0" when empty), so "from now on" misses nothing between reads. */
  async #lastId(reader: Redis, key: string, signal: AbortSignal | undefined): Promise<string | undefined> {
    try {
      const newest = await reader.xrevrange(key, "+", "-", "COUNT", 1);
      return newest[0]?.[0] ?? "0-0";
    } catch (err) {
      if (signal?.aborted) return undefined;
      throw this.#readError(key, err);
    }
  }

  /** One blocking read after `lastId`; [] on timeout, undefined once aborted. */
  async #read(
    reader: Redis,
    key: string,
    lastId: string,
    blockMs: number,
    signal: AbortSignal | undefined,
  ): Promise<StreamEntry[] | undefined> {
    try {
      const reply = await reader.xread("COUNT", READ_BATCH, "BLOCK", blockMs, "STREAMS", key, lastId);
      return reply?.[0]?.[1] ?? [];
    } catch (err) {
      if (signal?.aborted) return undefined;
      throw this.#readError(key, err);
    }
  }

  #readError(key: string, err: unknown): WorkflowError {
    return this.#availability.unavailable(`Reading the event stream ${key}`, err);
  }

  #decode(key: string, id: string, fields: string[]): WorkflowEvent | undefined {
    const raw = fieldValue(fields, "data");
    const event = raw === undefined ? undefined : parseEvent(raw);
    if (event === undefined) this.#logger.warn({ key, id }, "Skipping a stream entry that is not a workflow event");
    return event;
  }
}

/**
 * A fire-and-forget publisher: each call is chained on the previous one, so events reach Redis in
 * the order they were emitted even though nobody awaits them. Await `flush()` at the end of a run.
 */
export function createPublisher(stream: RedisEventStream): EventPublisher {
  let tail: Promise<void> = Promise.resolve();
  const publish = (event: WorkflowEvent): void => {
    // publish() never rejects; the catch only keeps one broken link from stopping the chain.
    tail = tail.then(() => stream.publish(event)).catch(() => undefined);
  };
  const flush = async (): Promise<void> => {
    // Events published while we wait extend the chain; wait until it stops growing.
    let seen: Promise<void>;
    do {
      seen = tail;
      await seen;
    } while (seen !== tail);
  };
  return Object.assign(publish, { flush });
}

/** The value of `name` in a flat [field, value, field, value, ...] stream entry. */
function fieldValue(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === name) return fields[i + 1];
  }
  return undefined;
}

function parseEvent(raw: string): WorkflowEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const { type, run_id } = value as Record<string, unknown>;
  const known = (WorkflowEventType as readonly unknown[]).includes(type);
  return known && typeof run_id === "string" ? (value as WorkflowEvent) : undefined;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new WorkflowError(ErrorCode.ConfigInvalid, `The ${name} must be a whole number of at least 1, got ${value}.`);
  }
  return value;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
