import { type ChildProcessByStdio, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import type { Readable } from "node:stream";
import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { formatEvent } from "../../../src/cli/output.js";
import type { EngineOptions } from "../../../src/engine/engine-options.js";
import type { WorkflowEvent } from "../../../src/model/events.js";
import { WorkflowEngine } from "../../../src/engine/workflow-engine.js";
import { PlanCache } from "../../../src/persistence/plan-cache.js";
import { closeRedis, DEFAULT_KEY_PREFIX, deleteKeysWithPrefix, openRedis, scanKeys } from "../../../src/persistence/redis-connection.js";
import type { PlanInput } from "../../../src/model/plan-schema.js";
import { silentLogger } from "../../../utils/logger.js";
import { REPO, runCli } from "../../fixtures/cli.js";
import { makeTempDir } from "../../fixtures/context.js";
import { until } from "../../fixtures/graph-harness.js";
import { waitTask } from "../../fixtures/plans.js";
import { heldEndpoint } from "../../fixtures/loopback.js";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const ID = randomBytes(6).toString("hex");
/** What the API tests write goes under this prefix. */
const PREFIX = `wfe-test-${ID}:`;
/** Environment of the CLI child processes (runCli removes variables set to ""). */
const CLI_ENV = { REDIS_URL, CHECKPOINT_URL: "", CHECKPOINT_SCHEMA: "", DATABASE_URL: "", OPENAI_API_KEY: "" };

let redis: Redis;
let ws: string;
let cleanup: () => Promise<void>;
/**
 * Keys written under the default prefix "wfe:" (the CLI has no option for the prefix): each one is
 * named from this run's random id and deleted one by one, so nothing else under "wfe:" is touched.
 */
const defaultPrefixKeys = new Set<string>();
const engines: WorkflowEngine[] = [];
const children: ChildProcessByStdio<null, Readable, Readable>[] = [];

beforeAll(async () => {
  redis = openRedis(REDIS_URL, silentLogger(), { connectionName: `wfe-test-${ID}` });
  ({ dir: ws, cleanup } = await makeTempDir("wf-redis-cli-"));
});

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill();
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

afterAll(async () => {
  const keys = [...defaultPrefixKeys];
  if (keys.length) await redis.del(...keys);
  await deleteKeysWithPrefix(redis, PREFIX);
  expect(await scanKeys(redis, PREFIX)).toEqual([]);
  if (keys.length) expect(await redis.exists(...keys)).toBe(0);
  await closeRedis(redis);
  await cleanup();
});

/** An engine on the test workspace, keeping runs in memory (closed after the test). */
function engine(options: Partial<EngineOptions> = {}): WorkflowEngine {
  const e = new WorkflowEngine({ workspace: ws, env: {}, persist: "memory", redisUrl: REDIS_URL, ...options });
  engines.push(e);
  return e;
}

/** The event stream key of a run under the default prefix, remembered for deletion. */
function defaultEventsKey(runId: string): string {
  const key = `${DEFAULT_KEY_PREFIX}events:${runId}`;
  defaultPrefixKeys.add(key);
  return key;
}

/** `node main.js runs watch <id>` as a child process; its stdout lines arrive as they are printed. */
function watchCli(runId: string): { lines: () => string[]; stderr: () => string; exited: Promise<number | null> } {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", ...CLI_ENV };
  for (const key of Object.keys(env)) if (env[key] === "") delete env[key];
  const child = spawn(process.execPath, [path.join(REPO, "main.js"), "runs", "watch", runId, "--workspace", ws], {
    cwd: REPO,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve(code));
  });
  // Only complete lines: a line still being written is not yet received.
  return { lines: () => stdout.split("\n").slice(0, -1), stderr: () => stderr, exited };
}

/** Short chained waits with a request in the middle that holds the run until the test lets it go on. */
function heldChain(url: string): PlanInput {
  return {
    tasks: [
      waitTask("w1", 20),
      { id: "hold", action_type: "api_call", action_config: { url }, dependencies: ["w1"] },
      waitTask("w3", 20, ["hold"]),
      waitTask("w4", 20, ["w3"]),
    ],
  };
}

/** Await `promise`, failing with `what` if it takes longer than `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
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

describe("the plan cache", () => {
  it("through the API: the same goal a second time comes from the cache; planCache: false plans again", async () => {
    const goal = `Create out/api-${ID}.txt with 'cached'`;
    const key = new PlanCache(redis, { prefix: PREFIX }).key({ goal, planner: "rules", variableNames: [] });
    const options = { planner: "rules" as const, redisPrefix: PREFIX };

    const first = await engine(options).run(goal, { runId: `${ID}-api-1` });
    expect(first).toMatchObject({ status: "completed", planner: "rules" });
    expect(first.metrics.plan_cache_hit).toBe(false);
    expect(JSON.parse((await redis.get(key)) ?? "null")).toMatchObject({
      planner: "rules",
      plan: {
        tasks: [{ action_type: "file_operation", action_config: { operation: "write", path: `out/api-${ID}.txt`, content: "cached" } }],
      },
    });
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(86_400 - 60);
    expect(ttl).toBeLessThanOrEqual(86_400);

    // Another engine (another connection, nothing shared in memory) finds the plan in Redis.
    const second = await engine(options).run(goal, { runId: `${ID}-api-2` });
    expect(second).toMatchObject({ status: "completed", planner: "rules" });
    expect(second.metrics.plan_cache_hit).toBe(true);
    const shape = (r: typeof first) => r.tasks.map((t) => [t.id, t.action_type, t.action_config, t.dependencies]);
    expect(shape(second)).toEqual(shape(first));

    const bypass = await engine({ ...options, planCache: false }).run(goal, { runId: `${ID}-api-3` });
    expect(bypass.status).toBe("completed");
    expect(bypass.metrics.plan_cache_hit).toBe(false);

    // One plan key, and the event stream of each run, all under the prefix.
    expect((await scanKeys(redis, PREFIX)).sort()).toEqual([key, ...[1, 2, 3].map((i) => `${PREFIX}events:${ID}-api-${i}`)].sort());
  });

  it("through the CLI: the second run says it came from the plan cache; --no-cache plans again", async () => {
    // The CLI uses the default prefix: the goal carries this run's random id, so its key is ours alone.
    const goal = `Create out/cli-${ID}.txt with 'cached'`;
    const key = new PlanCache(redis, { prefix: DEFAULT_KEY_PREFIX }).key({ goal, planner: "rules", variableNames: [] });
    defaultPrefixKeys.add(key);
    const ids = [1, 2, 3].map((i) => `${ID}-cli-${i}`);
    for (const id of ids) defaultEventsKey(id);
    expect(await redis.exists(key)).toBe(0);
    const cli = (args: string[]) => runCli([...args, "--workspace", ws, "--quiet"], { env: CLI_ENV });

    const first = await cli(["--goal", goal, "--run-id", ids[0] as string]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.split("\n").slice(0, 3)).toEqual([`Workflow ${ids[0]}: completed`, `Goal: ${goal}`, "Plan: by the rules planner"]);
    expect(await redis.exists(key)).toBe(1);

    const second = await cli(["--goal", goal, "--run-id", ids[1] as string]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout.split("\n").slice(0, 3)).toEqual([
      `Workflow ${ids[1]}: completed`,
      `Goal: ${goal}`,
      "Plan: by the rules planner (from the plan cache, no planning)",
    ]);

    const third = await cli(["--goal", goal, "--run-id", ids[2] as string, "--no-cache"]);
    expect(third.code, third.stderr).toBe(0);
    expect(third.stdout.split("\n").slice(0, 3)).toEqual([`Workflow ${ids[2]}: completed`, `Goal: ${goal}`, "Plan: by the rules planner"]);
    expect(third.stdout).not.toContain("plan cache");
  }, 60_000);
});

describe("live events", () => {
  it("runs watch in another process prints a run's events as they happen and exits 0 after run_completed", async () => {
    const held = await heldEndpoint();
    try {
      const id = `${ID}-watch`;
      defaultEventsKey(id);
      // The watcher starts first; it reads the run's stream from its first event, whenever that comes.
      const watcher = watchCli(id);
      const emitted: WorkflowEvent[] = [];
      let settled = false;
      // The default prefix, since the CLI watcher has no prefix option.
      const running = engine().run(heldChain(held.url), { runId: id, onEvent: (e) => emitted.push(e) });
      void running.finally(() => {
        settled = true;
      });

      await until(() => watcher.lines().includes("  started   hold (api_call) attempt 1"), 20_000);
      await until(() => held.waiting() === 1);
      // The run is still held in its second task, and the watcher has everything so far, in order.
      expect(settled).toBe(false);
      expect(watcher.lines()).toEqual(emitted.map((e) => formatEvent(e)));

      held.release();
      const result = await running;
      expect(result.status).toBe("completed");
      expect(await within(watcher.exited, 10_000, "the watcher's exit")).toBe(0);
      // Started before the run, the watcher says it is waiting; nothing else goes to stderr.
      expect(watcher.stderr()).toMatch(/^(No events of run \S+ yet; waiting for it to start \(Ctrl-C to stop\)\.\n)?$/);
      const lines = watcher.lines();
      expect(lines).toEqual(emitted.map((e) => formatEvent(e)));
      expect(lines).toEqual([
        `run ${id} started`,
        "plan ready: 4 tasks (planner: provided)",
        "  started   w1 (wait) attempt 1",
        expect.stringMatching(/^ {2}completed w1 \(wait\) in \d+ ms$/),
        "  started   hold (api_call) attempt 1",
        expect.stringMatching(/^ {2}completed hold \(api_call\) in \d+ ms$/),
        "  started   w3 (wait) attempt 1",
        expect.stringMatching(/^ {2}completed w3 \(wait\) in \d+ ms$/),
        "  started   w4 (wait) attempt 1",
        expect.stringMatching(/^ {2}completed w4 \(wait\) in \d+ ms$/),
        `run ${id} completed`,
      ]);
      // The finished stream expires (one day) instead of staying forever.
      expect(await redis.ttl(`${DEFAULT_KEY_PREFIX}events:${id}`)).toBeGreaterThan(0);
    } finally {
      await held.close();
    }
  });

  it("runs watch of a run that failed replays its events and exits 1", async () => {
    const id = `${ID}-watch-failed`;
    defaultEventsKey(id);
    const emitted: WorkflowEvent[] = [];
    const failing: PlanInput = {
      tasks: [
        waitTask("w1", 1),
        { id: "bad", action_type: "file_operation", action_config: { operation: "read", path: "missing.txt" }, dependencies: ["w1"] },
      ],
    };
    expect((await engine().run(failing, { runId: id, onEvent: (e) => emitted.push(e) })).status).toBe("failed");

    const watcher = watchCli(id);
    expect(await within(watcher.exited, 15_000, "the watcher's exit")).toBe(1);
    expect(watcher.lines()).toEqual(emitted.map((e) => formatEvent(e)));
    expect(watcher.lines().at(-1)).toBe(`run ${id} failed`);
    expect(watcher.lines()).toContainEqual(
      expect.stringMatching(/^ {2}failed {4}bad \(file_operation\) attempt 1: FILE_NOT_FOUND read: no file or folder "missing\.txt"/),
    );
  });

  it("through the API, another engine with the same prefix watches the run: the same events, in order", async () => {
    const id = `${ID}-api-watch`;
    const runner = engine({ redisPrefix: PREFIX });
    const watcher = engine({ redisPrefix: PREFIX });
    const got: WorkflowEvent[] = [];
    const watching = (async () => {
      for await (const e of watcher.watch(id)) got.push(e);
    })();
    const emitted: WorkflowEvent[] = [];
    const chain: PlanInput = { tasks: [waitTask("w1", 10), waitTask("w2", 10, ["w1"]), waitTask("w3", 10, ["w2"])] };
    expect((await runner.run(chain, { runId: id, onEvent: (e) => emitted.push(e) })).status).toBe("completed");
    await within(watching, 10_000, "the end of the watch");

    expect(got).toEqual(JSON.parse(JSON.stringify(emitted)));
    expect(got.map((e) => [e.type, e.task_id])).toEqual([
      ["run_started", undefined],
      ["plan_ready", undefined],
      ...["w1", "w2", "w3"].flatMap((t) => [
        ["task_started", t],
        ["task_completed", t],
      ]),
      ["run_completed", undefined],
    ]);
    expect(await redis.exists(`${PREFIX}events:${id}`)).toBe(1);
    expect(await redis.exists(`${DEFAULT_KEY_PREFIX}events:${id}`)).toBe(0);
  });

  it("runs watch without REDIS_URL exits 2 naming REDIS_URL", async () => {
    const run = await runCli(["runs", "watch", `${ID}-nowhere`, "--workspace", ws], { env: { ...CLI_ENV, REDIS_URL: "" } });
    expect(run).toMatchObject({
      code: 2,
      stdout: "",
      stderr: "Error [CONFIG_INVALID]: Watching a run needs Redis: set REDIS_URL (e.g. redis://127.0.0.1:6379).\n",
    });
  });
});
