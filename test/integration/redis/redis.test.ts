import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkflowEvent, WorkflowEventType } from "../../../src/model/events.js";
import { WorkflowError } from "../../../src/model/errors.js";
import { ABANDONED_TTL_FACTOR, createPublisher, RedisEventStream } from "../../../src/persistence/event-stream.js";
import { PlanCache } from "../../../src/persistence/plan-cache.js";
import type { CachedPlan, PlanCacheKey } from "../../../src/plan/plan-entry.js";
import { closeRedis, deleteKeysWithPrefix, openRedis, resolveKeyPrefix, scanKeys } from "../../../src/persistence/redis-connection.js";
import { type Logger, silentLogger } from "../../../utils/logger.js";
import { until } from "../../fixtures/graph-harness.js";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
/** Nothing listens on port 1: a client to it stands for Redis being down. */
const DEAD_REDIS_URL = "redis://127.0.0.1:1";
const ID = randomBytes(6).toString("hex");
const PREFIX = `wfe-test-${ID}:`;

let redis: Redis;
let runs = 0;
const newRunId = () => `run-${ID}-${++runs}`;

beforeAll(() => {
  redis = openRedis(REDIS_URL, silentLogger(), { connectionName: `wfe-test-${ID}` });
});

afterAll(async () => {
  await deleteKeysWithPrefix(redis, PREFIX);
  expect(await scanKeys(redis, PREFIX)).toEqual([]);
  await closeRedis(redis);
});

/** A logger that records warnings, to check that failures are reported rather than thrown. */
function recordingLogger(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const ignore = () => undefined;
  const warn: Logger["warn"] = (objOrMsg, msg) => warnings.push(typeof objOrMsg === "string" ? objOrMsg : (msg ?? ""));
  const logger: Logger = { trace: ignore, debug: ignore, info: ignore, warn, error: ignore, child: () => logger };
  return { logger, warnings };
}

function keyInput(overrides: Partial<PlanCacheKey> = {}): PlanCacheKey {
  return {
    goal: "  fetch   the users\tand save\n them ",
    planner: "llm",
    model: "gpt-4o-mini",
    baseURL: "http://127.0.0.1:11434/v1",
    variableNames: ["user_id", "api_base"],
    ...overrides,
  };
}

function cachedPlan(): CachedPlan {
  const plan = { tasks: [{ id: "fetch", action_type: "api_call", action_config: { url: "http://x/users" } }] };
  return { plan, planner: "llm", cached_at: new Date().toISOString() };
}

function event(runId: string, type: WorkflowEventType, extra: Partial<WorkflowEvent> = {}): WorkflowEvent {
  return { type, run_id: runId, at: new Date().toISOString(), ...extra };
}

/** A run's worth of events: start, plan, `tasks` tasks started and completed, end. */
function runEvents(runId: string, tasks = 20): WorkflowEvent[] {
  const perTask = Array.from({ length: tasks }, (_, i) => [
    event(runId, "task_started", { task_id: `t${i}`, attempt: 1 }),
    event(runId, "task_completed", { task_id: `t${i}`, duration_ms: i }),
  ]).flat();
  return [event(runId, "run_started"), event(runId, "plan_ready"), ...perTask, event(runId, "run_completed", { status: "completed" })];
}

async function collect(events: AsyncIterable<WorkflowEvent>): Promise<WorkflowEvent[]> {
  const got: WorkflowEvent[] = [];
  for await (const e of events) got.push(e);
  return got;
}

/** Await `promise`, failing the test if it takes longer than `ms`. */
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

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected an error");
}

/** The server's view of the connections named `name`: flags ("b" = blocked) and last command. */
async function clientsNamed(name: string): Promise<{ flags: string; cmd: string }[]> {
  const list = (await redis.client("LIST")) as string;
  const rows = list.split("\n").map((line) => Object.fromEntries(line.split(" ").map((kv) => kv.split("=", 2))));
  return rows.filter((r) => r.name === name).map((r) => ({ flags: r.flags ?? "", cmd: r.cmd ?? "" }));
}

const blockedInXread = async (name: string) => (await clientsNamed(name)).some((c) => c.cmd === "xread" && c.flags.includes("b"));

/** A second client, standing for another process; named so the test can see its watcher connection. */
function otherProcess(label: string): { client: Redis; name: string } {
  const name = `wfe-test-${ID}-${label}`;
  return { client: openRedis(REDIS_URL, silentLogger(), { connectionName: name }), name };
}

describe("PlanCache", () => {
  it("misses, then hits for the same goal however it is spaced, and misses for another planner, model or variables", async () => {
    const cache = new PlanCache(redis, { prefix: PREFIX });
    const input = keyInput();
    expect(cache.key(input)).toMatch(/^[^:]+:plan:[0-9a-f]{64}$/);
    expect(cache.key(input).startsWith(`${PREFIX}plan:`)).toBe(true);
    expect(await cache.get(input)).toBeUndefined();

    const stored = cachedPlan();
    await cache.set(input, stored);
    const respaced = keyInput({ goal: "fetch the users and save them", variableNames: ["api_base", "user_id"] });
    expect(await cache.get(respaced)).toEqual(stored);

    const others: Partial<PlanCacheKey>[] = [
      { planner: "rules" },
      { model: "gpt-4o" },
      { model: undefined },
      { baseURL: "https://api.openai.com/v1" },
      { variableNames: ["user_id"] },
      { variableNames: ["user_id", "api_base", "limit"] },
      { goal: "fetch the users and save it" },
    ];
    for (const other of others) expect(await cache.get(keyInput(other)), JSON.stringify(other)).toBeUndefined();
  });

  it("stores plans with the configured TTL (one day by default)", async () => {
    const input = keyInput({ goal: `ttl ${ID}` });
    const short = new PlanCache(redis, { prefix: PREFIX, ttlSeconds: 120 });
    await short.set(input, cachedPlan());
    const pttl = await redis.pttl(short.key(input));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(120_000);

    const byDefault = new PlanCache(redis, { prefix: PREFIX });
    await byDefault.set(input, cachedPlan());
    expect(await redis.pttl(byDefault.key(input))).toBeGreaterThan(86_400_000 - 60_000);
  });

  it("treats a corrupt value as a miss and says so in the log", async () => {
    const { logger, warnings } = recordingLogger();
    const cache = new PlanCache(redis, { prefix: PREFIX, logger });
    const input = keyInput({ goal: `corrupt ${ID}` });
    for (const raw of ["{not json", JSON.stringify({ plan: { tasks: [] }, planner: "gpt" }), "null", '{"planner":"llm"}']) {
      await redis.set(cache.key(input), raw, "EX", 60);
      expect(await cache.get(input), raw).toBeUndefined();
    }
    expect(warnings).toHaveLength(4);
    expect(warnings[0]).toMatch(/corrupt/);
  });

  it("never fails or stalls a run when Redis is down: get misses, set is ignored", async () => {
    const { logger, warnings } = recordingLogger();
    const dead = openRedis(DEAD_REDIS_URL, logger, { connectTimeoutMs: 500 });
    try {
      const cache = new PlanCache(dead, { prefix: PREFIX, logger });
      const started = Date.now();
      expect(await cache.get(keyInput())).toBeUndefined();
      await expect(cache.set(keyInput(), cachedPlan())).resolves.toBeUndefined();
      expect(await cache.get(keyInput())).toBeUndefined();
      expect(Date.now() - started).toBeLessThan(5000);
      expect(warnings.some((w) => /Redis connection error/.test(w))).toBe(true);
    } finally {
      await closeRedis(dead);
    }
  });

  it("rejects bad configuration with a precise message", () => {
    expect(() => new PlanCache(redis, { prefix: PREFIX, ttlSeconds: 0 })).toThrowError(
      expect.objectContaining({ code: "CONFIG_INVALID", message: expect.stringMatching(/TTL .* at least 1, got 0/) }),
    );
    const err = catchError(() => openRedis("http://user:s3cret@127.0.0.1:6379", silentLogger()));
    expect(err).toBeInstanceOf(WorkflowError);
    expect(err).toMatchObject({ code: "CONFIG_INVALID", message: expect.stringMatching(/not a redis:\/\/ or rediss:\/\//) });
    expect(err.message).not.toContain("s3cret");
    expect(resolveKeyPrefix(undefined)).toBe("wfe:");
    expect(() => resolveKeyPrefix("has space:")).toThrowError(/key prefix "has space:" is invalid/);
  });

  it("deletes by prefix literally, even when the prefix contains glob characters", async () => {
    await redis.set(`${PREFIX}a*[b]:1`, "x", "EX", 60);
    await redis.set(`${PREFIX}aXb:1`, "y", "EX", 60);
    expect(await deleteKeysWithPrefix(redis, `${PREFIX}a*[b]:`)).toBe(1);
    expect(await redis.exists(`${PREFIX}aXb:1`)).toBe(1);
  });
});

describe("RedisEventStream", () => {
  it("delivers fire-and-forget events in order, and watch ends after run_completed", async () => {
    const stream = new RedisEventStream(redis, { prefix: PREFIX });
    const runId = newRunId();
    const events = runEvents(runId, 50);
    const publish = createPublisher(stream);
    for (const e of events) publish(e);
    publish(event(runId, "task_skipped", { detail: "after the end: not part of the run" }));
    await publish.flush();

    const got = await withDeadline(collect(stream.watch(runId)), 5000, "watching a finished run");
    expect(got).toEqual(events);
  });

  it("keeps an unfinished run's stream 7 times longer than a finished one's, which gets the TTL once it completes", async () => {
    const stream = new RedisEventStream(redis, { prefix: PREFIX, ttlSeconds: 300 });
    const runId = newRunId();
    await stream.publish(event(runId, "run_started"));
    const abandoned = await redis.pttl(stream.key(runId));
    expect(abandoned).toBeGreaterThan(300_000);
    expect(abandoned).toBeLessThanOrEqual(300_000 * ABANDONED_TTL_FACTOR);
    await stream.publish(event(runId, "run_completed", { status: "completed" }));
    const pttl = await redis.pttl(stream.key(runId));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(300_000);
  });

  it("streams events live to a watcher in another process that started before they were published", async () => {
    const { client, name } = otherProcess("live");
    const controller = new AbortController();
    try {
      const publisher = new RedisEventStream(redis, { prefix: PREFIX });
      const runId = newRunId();
      await publisher.publish(event(runId, "run_started", { detail: "before the watcher: not replayed" }));
      const watcher = new RedisEventStream(client, { prefix: PREFIX });
      const options = { fromStart: false, blockMs: 20_000, signal: controller.signal };
      const received = collect(watcher.watch(runId, options));
      await until(() => blockedInXread(name));

      const events = runEvents(runId, 5);
      const publish = createPublisher(publisher);
      for (const e of events) publish(e);
      // A block of 20 s and a 5 s deadline: only a live, blocked read can deliver these in time.
      expect(await withDeadline(received, 5000, "live delivery")).toEqual(events);
      await publish.flush();
    } finally {
      controller.abort();
      await closeRedis(client);
    }
  });

  it("returns promptly when aborted while blocked, and closes its connection", async () => {
    const { client, name } = otherProcess("abort");
    const controller = new AbortController();
    try {
      const watcher = new RedisEventStream(client, { prefix: PREFIX });
      const watching = collect(watcher.watch(newRunId(), { signal: controller.signal, blockMs: 30_000 }));
      await until(() => blockedInXread(name));
      expect(await clientsNamed(name)).toHaveLength(2);

      const started = Date.now();
      controller.abort();
      expect(await withDeadline(watching, 2000, "the aborted watch returning")).toEqual([]);
      expect(Date.now() - started).toBeLessThan(1000);
      await until(async () => (await clientsNamed(name)).length === 1);
    } finally {
      controller.abort();
      await closeRedis(client);
    }
  });

  it("closes its connection when the consumer stops early", async () => {
    const { client, name } = otherProcess("break");
    try {
      const stream = new RedisEventStream(client, { prefix: PREFIX });
      const runId = newRunId();
      await stream.publish(event(runId, "run_started"));
      await stream.publish(event(runId, "plan_ready"));
      for await (const e of stream.watch(runId, { blockMs: 30_000 })) {
        expect(e.type).toBe("run_started");
        break;
      }
      await until(async () => (await clientsNamed(name)).length === 1);
    } finally {
      await closeRedis(client);
    }
  });

  it("skips stream entries that are not workflow events", async () => {
    const { logger, warnings } = recordingLogger();
    const stream = new RedisEventStream(redis, { prefix: PREFIX, logger });
    const runId = newRunId();
    await redis.xadd(stream.key(runId), "*", "data", "{not json");
    await redis.xadd(stream.key(runId), "*", "other", "field");
    await redis.xadd(stream.key(runId), "*", "data", JSON.stringify({ type: "no_such_event", run_id: runId }));
    const events = runEvents(runId, 1);
    for (const e of events) await stream.publish(e);
    expect(await withDeadline(collect(stream.watch(runId)), 5000, "watching")).toEqual(events);
    expect(warnings).toHaveLength(3);
  });

  it("trims each run's stream to about maxLen entries", async () => {
    const stream = new RedisEventStream(redis, { prefix: PREFIX, maxLen: 10 });
    const runId = newRunId();
    const publish = createPublisher(stream);
    const events = Array.from({ length: 300 }, (_, i) => event(runId, "task_started", { task_id: `t${i}` }));
    for (const e of events) publish(e);
    await publish.flush();
    const length = await redis.xlen(stream.key(runId));
    expect(length).toBeGreaterThanOrEqual(10);
    expect(length).toBeLessThan(300);
    const [newest] = await redis.xrevrange(stream.key(runId), "+", "-", "COUNT", 1);
    expect(JSON.parse(newest?.[1][1] ?? "null")).toEqual(events.at(-1));
  });

  it("drops events without throwing when Redis is down, and the watch fails with REDIS_UNAVAILABLE", async () => {
    const dead = openRedis(DEAD_REDIS_URL, silentLogger(), { connectTimeoutMs: 500 });
    try {
      const stream = new RedisEventStream(dead, { prefix: PREFIX });
      const publish = createPublisher(stream);
      for (const e of runEvents(newRunId(), 50)) publish(e);
      await withDeadline(publish.flush(), 5000, "flushing to a dead Redis");
      const watching = collect(stream.watch(newRunId()));
      await expect(withDeadline(watching, 5000, "the watch failing")).rejects.toMatchObject({
        code: "REDIS_UNAVAILABLE",
        retryable: true,
        message: expect.stringContaining("Redis at redis://127.0.0.1:1/0 (REDIS_URL) is unavailable"),
      });
    } finally {
      await closeRedis(dead);
    }
  });
});
