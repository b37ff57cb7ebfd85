import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import pg from "pg";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import type { TaskSpecInput } from "../../../src/model/plan-schema.js";
import { REPO, runCli } from "../../fixtures/cli.js";
import { makeTempDir } from "../../fixtures/context.js";
import { type CountingServer, startCountingServer } from "../../fixtures/counting-server.js";
import { until } from "../../fixtures/graph-harness.js";

const PG_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const ID = randomBytes(4).toString("hex");
const SCHEMA_PREFIX = `wfe_crash_${ID}_`;
/** The CLI's default --concurrency: at most this many tasks are in flight when a kill lands. */
const CONCURRENCY = 8;
/** Each test spawns the CLI up to eight times (about a second each). */
const SLOW = 120_000;
const COMPLETED = /^\s+completed (\S+) \(\w+\) in \d+ ms$/;
const STARTED = /^\s+started\s+(\S+) \(\w+\) attempt \d+$/;

type Env = Record<string, string>;
let schemas = 0;
const BACKENDS: [string, () => Env][] = [
  ["sqlite", () => ({ CHECKPOINT_URL: "", CHECKPOINT_SCHEMA: "", DATABASE_URL: "", REDIS_URL: "" })],
  ["postgres", () => ({ CHECKPOINT_URL: PG_URL, CHECKPOINT_SCHEMA: `${SCHEMA_PREFIX}${++schemas}`, DATABASE_URL: "", REDIS_URL: "" })],
];

/** Fixed per path, 30–80 ms: long enough that a kill finds requests in flight. */
const delayFor = (p: string) => 30 + (([...p].reduce((sum, c) => sum + c.charCodeAt(0), 0) * 7) % 51);

const get = (id: string, dependencies: string[] = []) => ({ id, method: "GET", body: undefined, dependencies });
const post = (id: string, body: Record<string, unknown>) => ({ id, method: "POST", body, dependencies: [] as string[] });
/** 15 api_calls, each to its own path (`/<task id>`); references imply the chains. */
const CALLS = [
  get("g1"),
  get("g2"),
  get("g3"),
  get("g4"),
  post("p1", { from: "{{g1.data.value}}" }),
  post("p2", { from: "{{g2.data.value}}" }),
  post("c1", { from: "{{p1.data.value}}" }),
  get("c2", ["c1"]),
  post("c3", { from: "{{c2.data.value}}" }),
  get("c4", ["c3"]),
  post("p3", { from: "{{g4.data.value}}" }),
  post("p4", { from: "{{p3.data.value}}", also: "{{p2.data.value}}" }),
  get("g5", ["f1"]),
  post("p5", { from: "{{g5.data.value}}+{{p4.data.value}}" }),
  post("p6", { file: "{{f2.path}}" }),
];
/** 5 file writes whose content refers to earlier results, with what each file must hold at the end. */
const WRITES: { id: string; file: string; content: unknown; expected: unknown }[] = [
  { id: "f1", file: "out/g3.txt", content: "g3 said {{g3.data.value}}", expected: "g3 said value-g3" },
  {
    id: "f2",
    file: "out/p2.json",
    content: "{{p2.data}}",
    expected: { path: "/p2", method: "POST", value: "value-p2", received: { from: "value-g2" } },
  },
  {
    id: "f3",
    file: "out/chain.txt",
    content: "{{c1.data.received.from}} > {{c3.data.received.from}} > {{c4.data.value}}",
    expected: "value-p1 > value-c2 > value-c4",
  },
  {
    id: "f4",
    file: "out/summary.txt",
    content: "{{p5.data.received.from}} | {{p6.data.received.file}}",
    expected: "value-g5+value-p4 | out/p2.json",
  },
  {
    id: "f5",
    file: "out/done.json",
    content: { tasks: 20, chain: "{{f3.path}}", summary: "{{f4.path}}", last: "{{p6.data.value}}" },
    expected: { tasks: 20, chain: "out/chain.txt", summary: "out/summary.txt", last: "value-p6" },
  },
];
const TASK_IDS = [...CALLS.map((c) => c.id), ...WRITES.map((w) => w.id)].sort();

function buildPlan(base: string): { tasks: TaskSpecInput[] } {
  const calls = CALLS.map(({ id, method, body, dependencies }) => ({
    id,
    action_type: "api_call" as const,
    action_config: { method, url: `${base}/${id}`, ...(body ? { body } : {}) },
    dependencies,
  }));
  const writes = WRITES.map(({ id, file, content }) => ({
    id,
    action_type: "file_operation" as const,
    action_config: { operation: "write", path: file, content },
  }));
  return { tasks: [...calls, ...writes] };
}

/** What one killed process had done, read from its progress lines, its last checkpoint and the server. */
interface Kill {
  label: string;
  /** Tasks it printed `started` for but not `completed`. */
  inFlight: Set<string>;
  /** Tasks it printed `completed` for: they must never run again. */
  completed: Set<string>;
  /** Statuses in the run's latest checkpoint: what the resume continues from. */
  checkpoint: Record<string, string>;
  /** Hits per path once the process was gone. */
  counts: Record<string, number>;
  /** Per task, a trace that changes when it runs again (see `trace`). */
  traces: Record<string, string>;
}

/** One scenario's world: counting server, workspace, plan, backend environment. */
interface World {
  server: CountingServer;
  ws: string;
  planFile: string;
  env: Env;
}

/** Hits on an api_call's path; inode and mtime of a write's file (an atomic rewrite changes both). */
async function trace(w: World, id: string): Promise<string> {
  const write = WRITES.find((x) => x.id === id);
  if (!write) return `hits ${w.server.hits(`/${id}`)}`;
  const s = await stat(path.join(w.ws, write.file), { bigint: true }).catch(() => undefined);
  return s ? `file ${s.ino}:${s.mtimeNs}` : "no file";
}

/** Spawn the CLI and SIGKILL it as soon as its `after`-th `completed` line arrives; returns every stderr line. */
async function spawnAndKill(w: World, args: string[], after: number, label: string): Promise<string[]> {
  const env: Record<string, string | undefined> = { ...process.env, OPENAI_API_KEY: "", NO_COLOR: "1", ...w.env };
  for (const key of Object.keys(env)) if (env[key] === "") delete env[key];
  const child = spawn(process.execPath, [path.join(REPO, "main.js"), ...args], { cwd: REPO, env, stdio: ["ignore", "pipe", "pipe"] });
  const lines = createInterface({ input: child.stderr, crlfDelay: Number.POSITIVE_INFINITY });
  const closed = Promise.all([once(child, "close"), once(lines, "close")]);
  const stderr: string[] = [];
  let seen = 0;
  lines.on("line", (line) => {
    stderr.push(line);
    if (COMPLETED.test(line) && ++seen === after) child.kill("SIGKILL");
  });
  child.stdout.resume();
  const [[code, signal]] = (await closed) as [[number | null, NodeJS.Signals | null], unknown];
  expect(signal, `${label} ended by itself (exit ${code}) before ${after} completions:\n${stderr.join("\n")}`).toBe("SIGKILL");
  return stderr;
}

/** Kill a run or resume after `after` completions, then take stock: its lines, the checkpoint, the hits, the files. */
async function killAfter(w: World, runId: string, args: string[], after: number, label: string): Promise<Kill> {
  const stderr = await spawnAndKill(w, args, after, label);
  // Requests the dead process had sent are counted once its connections are torn down.
  await until(() => w.server.connections() === 0);
  const ids = (re: RegExp) => new Set(stderr.flatMap((l) => re.exec(l)?.[1] ?? []));
  const completed = ids(COMPLETED);
  const inFlight = new Set([...ids(STARTED)].filter((id) => !completed.has(id)));
  const traces: Record<string, string> = {};
  for (const id of TASK_IDS) traces[id] = await trace(w, id);
  const shown = await runCli(["runs", "show", runId, "--workspace", w.ws, "--json"], { env: w.env });
  expect(shown.code, shown.stderr).toBe(0);
  const run = JSON.parse(shown.stdout) as { status: string; tasks: { id: string; status: string }[] };
  expect(run.status, `status after ${label}`).toBe("running");
  const checkpoint = Object.fromEntries(run.tasks.map((t) => [t.id, t.status]));
  return { label, inFlight, completed, checkpoint, counts: w.server.counts(), traces };
}

/** Resume to the end: exit 0, `completed` in --json, and `runs show` has all 20 tasks completed. */
async function resumeToEnd(w: World, runId: string): Promise<void> {
  const resumed = await runCli(["runs", "resume", runId, "--workspace", w.ws, "--json"], { env: w.env });
  expect(resumed.code, resumed.stderr).toBe(0);
  expect((JSON.parse(resumed.stdout) as { status: string }).status).toBe("completed");
  const shown = await runCli(["runs", "show", runId, "--workspace", w.ws, "--json"], { env: w.env });
  expect(shown.code, shown.stderr).toBe(0);
  const run = JSON.parse(shown.stdout) as { status: string; tasks: { id: string; status: string }[] };
  expect(run.status).toBe("completed");
  expect(run.tasks.map((t) => `${t.id}:${t.status}`).sort()).toEqual(TASK_IDS.map((id) => `${id}:completed`));
}

/** Tasks a kill may have caught in flight: printed as started and not completed, or recorded as running. */
const caughtInFlight = (k: Kill) => new Set([...k.inFlight, ...TASK_IDS.filter((id) => k.checkpoint[id] === "running")]);

/** Per path: at least one hit, at most one more per kill that caught the task in flight, one Idempotency-Key. */
function expectHits(w: World, runId: string, kills: Kill[]): void {
  let extra = 0;
  for (const { id, method } of CALLS) {
    const hits = w.server.hits(`/${id}`);
    const caught = kills.filter((k) => caughtInFlight(k).has(id)).map((k) => k.label);
    expect(hits, `hits on /${id} (in flight at: ${caught.join(", ") || "no kill"})`).toBeGreaterThanOrEqual(1);
    expect(hits, `hits on /${id} (in flight at: ${caught.join(", ") || "no kill"})`).toBeLessThanOrEqual(1 + caught.length);
    extra += hits - 1;
    const keys = w.server.log(`/${id}`).map((h) => h.idempotencyKey);
    expect(keys, `Idempotency-Key of each hit on /${id}`).toEqual(keys.map(() => (method === "POST" ? `${runId}:${id}` : undefined)));
  }
  expect(extra).toBeLessThanOrEqual(kills.reduce((sum, k) => sum + caughtInFlight(k).size, 0));
  expect(extra).toBeLessThanOrEqual(kills.length * CONCURRENCY);
}

/** The resume continues from the last checkpoint: a task it holds as completed never runs again. */
async function expectCheckpointedNotRepeated(w: World, kills: Kill[]): Promise<void> {
  for (const k of kills) {
    for (const id of TASK_IDS.filter((t) => k.checkpoint[t] === "completed")) {
      expect(await trace(w, id), `${id} was completed in the checkpoint after ${k.label}, yet ran again`).toBe(k.traces[id]);
    }
  }
}

/** The key property: a task a killed process printed as completed never runs again (every violation is listed). */
async function expectPrintedNotRepeated(w: World, kills: Kill[]): Promise<void> {
  for (const k of kills) {
    for (const id of k.completed) {
      const why = `${id} printed "completed" before ${k.label} (checkpoint: ${k.checkpoint[id]}), yet ran again`;
      expect.soft(await trace(w, id), why).toBe(k.traces[id]);
    }
  }
}

async function expectFiles(ws: string): Promise<void> {
  for (const { file, expected } of WRITES) {
    const text = await readFile(path.join(ws, file), "utf8");
    expect(typeof expected === "string" ? text : JSON.parse(text), file).toEqual(expected);
  }
}

/** Extra hits each kill caused: paths it had hit that the next process hit again. */
function extraHitsPerKill(kills: Kill[], final: Record<string, number>): string {
  return kills
    .map((k, i) => {
      const next = kills[i + 1]?.counts ?? final;
      const again = Object.keys(k.counts).filter((p) => (next[p] ?? 0) > (k.counts[p] ?? 0));
      const lost = [...k.completed].filter((id) => k.checkpoint[id] !== "completed");
      const inFlight = [...k.inFlight].join(",");
      return `${k.label}: printed in flight [${inFlight}], printed completed ${k.completed.size} of which still running in the checkpoint [${lost.join(",")}], extra hits ${again.length} [${again.join(",")}]`;
    })
    .join("; ");
}

afterAll(async () => {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 1 });
  try {
    const { rows } = await pool.query("SELECT schema_name FROM information_schema.schemata WHERE starts_with(schema_name, $1)", [
      SCHEMA_PREFIX,
    ]);
    for (const { schema_name } of rows as { schema_name: string }[]) await pool.query(`DROP SCHEMA "${schema_name}" CASCADE`);
  } finally {
    await pool.end();
  }
});

describe.each(BACKENDS)("kill -9 and runs resume (%s)", (backend, freshEnv) => {
  let w: World;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    const server = await startCountingServer(delayFor);
    const temp = await makeTempDir("wf-crash-");
    cleanup = temp.cleanup;
    const ws = path.join(temp.dir, "ws");
    await mkdir(ws);
    const planFile = path.join(temp.dir, "plan.json");
    await writeFile(planFile, JSON.stringify(buildPlan(server.url)));
    w = { server, ws, planFile, env: freshEnv() };
  });
  afterEach(async () => {
    await w.server.close();
    await cleanup();
  });

  const runArgs = (runId: string) => ["--plan", w.planFile, "--run-id", runId, "--workspace", w.ws];
  const resumeArgs = (runId: string) => ["runs", "resume", runId, "--workspace", w.ws];

  it.for([1, 4, 8, 12, 17])(
    "killed after %i completions: the resume completes and repeats only tasks in flight",
    { timeout: SLOW },
    async (after, { annotate }) => {
      const runId = `crash-${backend}-${after}-${ID}`;
      const kills = [await killAfter(w, runId, runArgs(runId), after, `kill after ${after}`)];
      await resumeToEnd(w, runId);
      await annotate(extraHitsPerKill(kills, w.server.counts()));
      expectHits(w, runId, kills);
      await expectFiles(w.ws);
      await expectCheckpointedNotRepeated(w, kills);
      await expectPrintedNotRepeated(w, kills);
    },
  );

  it(
    "killed five times in one run (after 2, then 3, 4, 4, 3 more completions): every resume continues, the last completes",
    async ({ annotate }) => {
      const runId = `crash-${backend}-multi-${ID}`;
      const kills = [await killAfter(w, runId, runArgs(runId), 2, "kill 1 (run, after 2)")];
      for (const [i, after] of [3, 4, 4, 3].entries()) {
        kills.push(await killAfter(w, runId, resumeArgs(runId), after, `kill ${i + 2} (resume, after ${after})`));
      }
      await resumeToEnd(w, runId);
      await annotate(extraHitsPerKill(kills, w.server.counts()));
      expectHits(w, runId, kills);
      await expectFiles(w.ws);
      await expectCheckpointedNotRepeated(w, kills);
      await expectPrintedNotRepeated(w, kills);
    },
    SLOW,
  );

  it(
    "a finished run is not resumed and not run again by --run-id",
    async () => {
      const runId = `crash-${backend}-done-${ID}`;
      const first = await runCli([...runArgs(runId), "--json"], { env: w.env });
      expect(first.code, first.stderr).toBe(0);
      expect((JSON.parse(first.stdout) as { status: string }).status).toBe("completed");
      expect(w.server.counts()).toEqual(Object.fromEntries(CALLS.map((c) => [`/${c.id}`, 1])));
      const traces = async () => Promise.all(TASK_IDS.map((id) => trace(w, id)));
      const before = await traces();

      const resumed = await runCli(resumeArgs(runId), { env: w.env });
      // Nothing to resume is a wrong request (exit 2), not a failed run.
      expect(resumed.code).toBe(2);
      expect(resumed.stderr).toContain(`Error [RUN_FINISHED]: Run "${runId}" already finished (completed); there is nothing to resume.`);
      expect(resumed.stderr).not.toMatch(/^\s+(started|completed) /m);

      const again = await runCli([...runArgs(runId), "--json"], { env: w.env });
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toContain(`Run "${runId}" already finished (completed)`);
      expect(again.stderr).toContain("it was not run again");
      expect((JSON.parse(again.stdout) as { status: string }).status).toBe("completed");
      expect(await traces()).toEqual(before);
      await expectFiles(w.ws);
    },
    SLOW,
  );
});
