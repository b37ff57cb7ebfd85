import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import path from "node:path";
import type { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Planner } from "../../../src/model/planner.js";
import type { EngineOptions } from "../../../src/engine/engine-options.js";
import type { WorkflowEvent } from "../../../src/model/events.js";
import { WorkflowEngine } from "../../../src/engine/workflow-engine.js";
import type { WorkflowError } from "../../../src/model/errors.js";
import { closeRedis, deleteKeysWithPrefix, openRedis, scanKeys } from "../../../src/persistence/redis-connection.js";
import type { PlanInput } from "../../../src/model/plan-schema.js";
import { REDACTED } from "../../../src/safety/secrets/scrubber.js";
import { type Logger, silentLogger } from "../../../utils/logger.js";
import { runCli } from "../../fixtures/cli.js";
import { makeTempDir } from "../../fixtures/context.js";
import { listenOnLoopback, readBody } from "../../fixtures/loopback.js";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const PG_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const ID = randomBytes(6).toString("hex");
const PREFIX = `wfe-secrets-${ID}:`;
const SCHEMA_PREFIX = `wfe_secrets_${ID}_`;

/** The planted secrets: one in the environment, one in a URL, one in a Cookie header. */
const TOKEN = `sk-planted-${randomBytes(12).toString("hex")}`;
const PASSWORD = `pw-${randomBytes(12).toString("hex")}`;
const COOKIE = `ck-${randomBytes(12).toString("hex")}`;
const BASIC = Buffer.from(`user:${PASSWORD}`).toString("base64");
/** A key in a query string: api_call logs the URL it calls (at debug level). */
const QUERY_KEY = `qk-${randomBytes(12).toString("hex")}`;
const PLANTED = { TOKEN, PASSWORD, COOKIE, BASIC, QUERY_KEY };
const ENV = { PLANTED_API_TOKEN: TOKEN };

/** Every request the fixture server got: what the engine really sent. */
const seen: { path: string; headers: IncomingHttpHeaders; body: unknown }[] = [];
let server: Server;
let base: string;
let port: number;
let redis: Redis;
let pool: pg.Pool;
let ws: string;
let cleanup: () => Promise<void>;
let schemas = 0;

beforeAll(async () => {
  // /echo answers the request's headers; /denied answers 401 with the token in the body, as some APIs do.
  server = createServer(async (req, res) => {
    const body = await readBody(req);
    seen.push({ path: req.url ?? "", headers: req.headers, body });
    const denied = req.url?.startsWith("/denied");
    res.writeHead(denied ? 401 : 200, { "content-type": "application/json", "set-cookie": `echo=${COOKIE}` });
    res.end(
      JSON.stringify(denied ? { error: `invalid credentials: ${req.headers.authorization}` } : { headers: req.headers, url: req.url }),
    );
  });
  base = await listenOnLoopback(server);
  port = Number(new URL(base).port);
  redis = openRedis(REDIS_URL, silentLogger(), { connectionName: `wfe-secrets-${ID}` });
  pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
  ({ dir: ws, cleanup } = await makeTempDir("wf-secrets-"));
});

afterAll(async () => {
  await deleteKeysWithPrefix(redis, PREFIX);
  expect(await scanKeys(redis, PREFIX)).toEqual([]);
  await closeRedis(redis);
  const { rows } = await pool.query("SELECT schema_name FROM information_schema.schemata WHERE starts_with(schema_name, $1)", [
    SCHEMA_PREFIX,
  ]);
  for (const { schema_name } of rows as { schema_name: string }[]) await pool.query(`DROP SCHEMA "${schema_name}" CASCADE`);
  await pool.end();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await cleanup();
});

/**
 * The plan: the token from the environment, a key in a query string, a password in a URL, a literal
 * Cookie, and a 401 echoing the token.
 */
function leakyPlan(): PlanInput {
  return {
    goal: "call the echo service with credentials",
    tasks: [
      {
        id: "echo_env",
        action_type: "api_call",
        action_config: { url: `${base}/echo?api_key=${QUERY_KEY}`, headers: { Authorization: "Bearer {{env.PLANTED_API_TOKEN}}" } },
      },
      {
        id: "echo_url",
        action_type: "api_call",
        action_config: { url: `http://user:${PASSWORD}@127.0.0.1:${port}/echo`, headers: { Cookie: `session=${COOKIE}` } },
      },
      {
        id: "denied",
        action_type: "api_call",
        action_config: { url: `${base}/denied`, headers: { Authorization: "Bearer {{env.PLANTED_API_TOKEN}}" } },
        on_failure: "skip",
      },
    ],
  };
}

/** Each planted secret found in `text`, by name: the test wants none. */
function leaks(text: string): string[] {
  return Object.entries(PLANTED)
    .filter(([, secret]) => text.includes(secret))
    .map(([name]) => name);
}

/** What the fixture got: the credentials really went out (so finding none in the outputs means something). */
function expectSecretsSent(paths: string[]): void {
  const got = seen.filter((r) => paths.some((p) => r.path.startsWith(p)));
  expect(got.some((r) => r.path === `/echo?api_key=${QUERY_KEY}` && r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
  expect(got.some((r) => r.headers.authorization === `Basic ${BASIC}` && r.headers.cookie === `session=${COOKIE}`)).toBe(true);
  expect(got.some((r) => r.path === "/denied" && r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
}

/** Every Redis Stream entry under the test prefix, as text. */
async function redisText(runId: string): Promise<string> {
  const entries = await redis.xrange(`${PREFIX}events:${runId}`, "-", "+");
  expect(entries.length).toBeGreaterThan(3);
  return JSON.stringify(entries);
}

/** Every row of every table of a schema, bytea as UTF-8 text. */
async function schemaText(schema: string): Promise<string> {
  const { rows: tables } = await pool.query("SELECT table_name FROM information_schema.tables WHERE table_schema = $1", [schema]);
  expect(tables.map((t: { table_name: string }) => t.table_name)).toEqual(
    expect.arrayContaining(["checkpoints", "checkpoint_blobs", "checkpoint_writes", "workflow_runs"]),
  );
  const dumps: string[] = [];
  for (const { table_name } of tables as { table_name: string }[]) {
    const { rows } = await pool.query(`SELECT * FROM "${schema}"."${table_name}"`);
    dumps.push(JSON.stringify(rows, (_k, v: unknown) => (isBufferJson(v) ? Buffer.from(v.data).toString("utf8") : v)));
  }
  return dumps.join("\n");
}

function isBufferJson(v: unknown): v is { type: "Buffer"; data: number[] } {
  return (
    typeof v === "object" && v !== null && (v as { type?: unknown }).type === "Buffer" && Array.isArray((v as { data?: unknown }).data)
  );
}

/** A logger keeping every line it is given, as text. */
function recordingLogger(lines: string[]): Logger {
  const make = (bindings: Record<string, unknown>): Logger => {
    const log = (...args: unknown[]) => void lines.push(JSON.stringify([bindings, ...args]));
    return { trace: log, debug: log, info: log, warn: log, error: log, child: (b) => make({ ...bindings, ...b }) };
  };
  return make({});
}

function pgEngine(schema: string, options: Partial<EngineOptions> = {}): WorkflowEngine {
  return new WorkflowEngine({
    workspace: ws,
    env: ENV,
    checkpointUrl: PG_URL,
    checkpointSchema: schema,
    redisUrl: REDIS_URL,
    redisPrefix: PREFIX,
    ...options,
  });
}

interface EchoedTask {
  id: string;
  status: string;
  result?: { data: { headers: Record<string, string> }; headers: Record<string, string> };
  error?: { code: string; message: string };
}

/** The stored result shows the redaction where the echo held the secrets (the scrubbing really happened). */
function expectRedactedEchoes(tasks: EchoedTask[]): void {
  const byId = Object.fromEntries(tasks.map((t) => [t.id, t]));
  expect(byId.echo_env?.result?.data.headers.authorization).toBe(`Bearer ${REDACTED}`);
  expect(byId.echo_url?.result?.data.headers.cookie).toBe(REDACTED);
  expect(byId.echo_url?.result?.headers["set-cookie"]).toBe(REDACTED);
  expect(byId.denied?.status).toBe("skipped");
}

describe("secrets never leak", () => {
  it("CLI on SQLite: not in stdout, debug logs, the state files, runs show/history/export/list, or the Redis stream", async () => {
    const planFile = path.join(ws, "leaky-plan.json");
    await writeFile(planFile, JSON.stringify(leakyPlan()));
    const cliEnv = { CHECKPOINT_URL: "", CHECKPOINT_SCHEMA: "", DATABASE_URL: "", REDIS_URL, REDIS_PREFIX: PREFIX };
    const run = await runCli(["--plan", planFile, "--json", "--log-level", "debug", "--workspace", ws], { env: { ...cliEnv, ...ENV } });
    expect(run.stderr).toContain('"level":20'); // debug lines were written
    const out = JSON.parse(run.stdout) as { workflow_id: string; status: string; tasks: EchoedTask[] };
    expect(out.status).toBe("completed_with_errors");
    expectRedactedEchoes(out.tasks);
    expectSecretsSent(["/echo", "/denied"]);
    expect({ stdout: leaks(run.stdout), stderr: leaks(run.stderr) }).toEqual({ stdout: [], stderr: [] });

    const stateDir = path.join(ws, ".workflow-state");
    const files = ["checkpoints.sqlite", "checkpoints.sqlite-wal", "checkpoints.sqlite-shm"]
      .map((f) => path.join(stateDir, f))
      .filter(existsSync);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect({ file, leaks: leaks(readFileSync(file).toString("latin1")) }).toEqual({ file, leaks: [] });

    // Later commands run without the secret in their environment: what they print was stored scrubbed.
    const runsEnv = { env: cliEnv };
    for (const args of [["show", "--json"], ["history", "--json"], ["export"], ["list", "--json"]]) {
      const [sub, ...rest] = args as [string, ...string[]];
      const shown = await runCli(
        ["runs", sub, ...(sub === "list" ? [] : [out.workflow_id]), ...rest, "--workspace", ws, "--log-level", "debug"],
        runsEnv,
      );
      expect(shown.code, shown.stderr).toBe(0);
      expect({ sub, leaks: leaks(shown.stdout + shown.stderr) }).toEqual({ sub, leaks: [] });
      if (sub === "show") expectRedactedEchoes((JSON.parse(shown.stdout) as { tasks: EchoedTask[] }).tasks);
    }
    expect(leaks(await redisText(out.workflow_id))).toEqual([]);
  });

  it("API on PostgreSQL: not in the checkpoint tables, run records, results, events, logs or the Redis stream", async () => {
    const schema = `${SCHEMA_PREFIX}${++schemas}`;
    const events: WorkflowEvent[] = [];
    const logs: string[] = [];
    const engine = pgEngine(schema, { logger: recordingLogger(logs), onEvent: (e) => events.push(e) });
    try {
      const plan = leakyPlan();
      const result = await engine.run({ ...plan, goal: `${plan.goal} as user:${PASSWORD}@ with ${TOKEN}` });
      expect(result.status).toBe("completed_with_errors");
      expectRedactedEchoes(result.tasks as EchoedTask[]);
      const denied = result.tasks.find((t) => t.id === "denied");
      expect(denied?.error?.message).toContain(`invalid credentials: Bearer ${REDACTED}`);
      expectSecretsSent(["/echo", "/denied"]);
      const { record } = await engine.getRun(result.workflow_id);
      expect(record.goal).toContain(REDACTED);
      const outputs = {
        result: JSON.stringify(result),
        events: JSON.stringify(events),
        logs: logs.join("\n"),
        tables: await schemaText(schema),
        history: JSON.stringify(await engine.runHistory(result.workflow_id)),
        export: JSON.stringify(await engine.exportRun(result.workflow_id)),
        runs: JSON.stringify(await engine.listRuns()),
        redis: await redisText(result.workflow_id),
      };
      expect(events.some((e) => e.type === "task_failed")).toBe(true);
      expect(Object.fromEntries(Object.entries(outputs).map(([where, text]) => [where, leaks(text)]))).toEqual(
        Object.fromEntries(Object.keys(outputs).map((where) => [where, []])),
      );
    } finally {
      await engine.close();
    }
  });

  it("after an approval in another process, {{env.NAME}} still works and a literal secret fails with SECRET_UNAVAILABLE, unsent", async () => {
    const schema = `${SCHEMA_PREFIX}${++schemas}`;
    const literal = `lit-${randomBytes(8).toString("hex")}`;
    const plan: PlanInput = {
      tasks: [
        {
          id: "post_env",
          action_type: "api_call",
          action_config: {
            method: "POST",
            url: `${base}/echo?from=env`,
            headers: { Authorization: "Bearer {{env.PLANTED_API_TOKEN}}" },
            body: {},
          },
        },
        {
          id: "post_literal",
          action_type: "api_call",
          action_config: { method: "POST", url: `${base}/echo?from=literal`, headers: { "X-Api-Key": literal }, body: {} },
          on_failure: "skip",
        },
      ],
    };
    const first = pgEngine(schema, { approve: "ask" });
    const paused = await first.run(plan).finally(() => first.close());
    expect(paused.status).toBe("awaiting_approval");
    const second = pgEngine(schema);
    try {
      const result = await second.decide(paused.workflow_id, { approve: true, by: "test" });
      const byId = Object.fromEntries(result.tasks.map((t) => [t.id, t]));
      expect(byId.post_env?.error).toBeUndefined();
      expect(byId.post_env?.status).toBe("completed");
      expect(seen.some((r) => r.path === "/echo?from=env" && r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
      expect(byId.post_literal?.status).toBe("skipped");
      expect(byId.post_literal?.error?.code).toBe("SECRET_UNAVAILABLE");
      expect(byId.post_literal?.error?.message).toMatch(/would send \[redacted\] as headers\.X-Api-Key: .*\{\{env\.NAME\}\}/);
      expect(seen.some((r) => r.path === "/echo?from=literal")).toBe(false);
      expect(leaks(await schemaText(schema))).toEqual([]);
      expect(await schemaText(schema)).not.toContain(literal);
    } finally {
      await second.close();
    }
  });

  it("a plan the LLM planner wrote may not read the environment: PLAN_INVALID before anything runs", async () => {
    const modelPlanner: Planner = { kind: "llm", plan: async () => ({ plan: leakyPlan(), planner: "llm" }) };
    const engine = new WorkflowEngine({ workspace: ws, env: ENV, persist: "memory", planner: modelPlanner, advisor: null });
    const before = seen.length;
    try {
      const err = (await engine.run("call the echo service").then(
        () => undefined,
        (e: unknown) => e,
      )) as WorkflowError | undefined;
      expect(err?.code).toBe("PLAN_INVALID");
      expect(err?.message).toMatch(/\{\{env\.PLANTED_API_TOKEN\}\} reads the environment, which only plans you write may do/);
      expect(await engine.listRuns()).toEqual([]);
      expect(seen.length).toBe(before);
    } finally {
      await engine.close();
    }
  });
});
