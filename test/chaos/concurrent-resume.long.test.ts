import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkflowEngine } from "../../src/engine/workflow-engine.js";
import type { PlanInput, TaskSpecInput } from "../../src/model/plan-schema.js";
import { type ChaosBackend, COMPLETED_LINE, type CliExit, chaosBackend, dropSchemas, spawnCli } from "../fixtures/cli-child.js";
import { makeTempDir } from "../fixtures/context.js";
import { type CountingServer, startCountingServer } from "../fixtures/counting-server.js";
import { until } from "../fixtures/graph-harness.js";

/**
 * The "done when" of the lease: a 40-task run killed with SIGKILL, then three `runs resume` of it started at
 * once, twenty times per backend. Exactly one resume drives the run; the others are refused (RUN_BUSY naming
 * it, or RUN_FINISHED when it is already done); every side effect is counted, so a task run twice shows.
 */
const ID = randomBytes(4).toString("hex");
const SCHEMA_PREFIX = `wfe_chaos_resume_${ID}_`;
const TRIALS = 20;
const TASKS = 40;
const CHAINS = 4;

/** Half POSTs to the counting server (one path each), half appends of one line to a file of their own; 4 chains of 10. */
function plan(base: string): PlanInput {
  const tasks: TaskSpecInput[] = [];
  for (let i = 0; i < TASKS; i++) {
    const dependencies = i < CHAINS ? [] : [`t${i - CHAINS}`];
    tasks.push(
      i % 2 === 0
        ? { id: `t${i}`, action_type: "api_call", action_config: { method: "POST", url: `${base}/t${i}`, body: { i } }, dependencies }
        : {
            id: `t${i}`,
            action_type: "file_operation",
            action_config: { operation: "append", path: `out/t${i}.log`, content: `t${i}\n` },
            dependencies,
          },
    );
  }
  return { tasks };
}

/** Side effects per task: requests on its path, or lines in its file. */
async function sideEffects(server: CountingServer, ws: string, prefix: string): Promise<number[]> {
  const counts: number[] = [];
  for (let i = 0; i < TASKS; i++) {
    if (i % 2 === 0) counts.push(server.hits(`${prefix}/t${i}`));
    else counts.push((await readFile(path.join(ws, `out/t${i}.log`), "utf8").catch(() => "")).split("\n").filter(Boolean).length);
  }
  return counts;
}

/** Task statuses in the run's last checkpoint, read in this process (what a resume continues from). */
async function checkpointStatuses(backend: ChaosBackend, ws: string, runId: string): Promise<string[]> {
  const engine = new WorkflowEngine({ workspace: ws, ...backend.options(ws) });
  try {
    const state = await engine.getState(runId);
    return Array.from({ length: TASKS }, (_, i) => state?.tasks[`t${i}`]?.status ?? "absent");
  } finally {
    await engine.close();
  }
}

interface Tally {
  trials: number;
  killedAfter: number[];
  /** Resumes refused because another one held the run, or because it had already finished. */
  busy: number;
  finished: number;
  /** Tasks in flight at the kill (running in the checkpoint) and how many of them sent their effect again: allowed, at least once. */
  inFlightAtKill: number;
  resentAfterCrash: number;
  /** Violations: a task with an effect from more than one resume, or one run again though completed in the checkpoint. */
  ranTwice: number;
  lost: number;
}

let server: CountingServer;
let root: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  server = await startCountingServer((p) => 20 + ((p.length * 13) % 40));
  ({ dir: root, cleanup } = await makeTempDir("wf-chaos-resume-"));
});
afterAll(async () => {
  await server.close();
  await cleanup();
  await dropSchemas(SCHEMA_PREFIX);
});

describe.each(["sqlite", "postgres"] as const)("three concurrent resumes of a crashed 40-task run (%s)", (name) => {
  it(`${TRIALS} times: one resume drives the run, the others are refused; no task runs twice, none is lost`, async ({ annotate }) => {
    const backend = chaosBackend(name, `${SCHEMA_PREFIX}${name}`);
    const tally: Tally = { trials: 0, killedAfter: [], busy: 0, finished: 0, inFlightAtKill: 0, resentAfterCrash: 0, ranTwice: 0, lost: 0 };
    for (let trial = 0; trial < TRIALS; trial++) {
      const ws = path.join(root, `${name}-${trial}`);
      await mkdir(ws, { recursive: true });
      const planFile = path.join(root, `${name}-${trial}.json`);
      const prefix = `/${name}-${trial}`;
      await writeFile(planFile, JSON.stringify(plan(`${server.url}${prefix}`)));
      const runId = `chaos-${name}-${trial}-${ID}`;
      const after = 3 + ((trial * 11) % 29);

      // 1. Run it and kill -9 it after `after` completions.
      let completions = 0;
      const run = spawnCli(["--plan", planFile, "--run-id", runId, "--workspace", ws, "--plain"], {
        env: backend.env,
        onLine: (line, child) => {
          if (COMPLETED_LINE.test(line) && ++completions === after) child.kill();
        },
      });
      const killed = await run.exited;
      expect(killed.signal, `trial ${trial}: the run ended by itself (exit ${killed.code}):\n${killed.stderr}`).toBe("SIGKILL");
      await until(() => server.connections() === 0, 10_000);
      const atKill = await checkpointStatuses(backend, ws, runId);
      const before = await sideEffects(server, ws, prefix);

      // 2. Three resumes at once.
      const resumes = [0, 1, 2].map(() => spawnCli(["runs", "resume", runId, "--workspace", ws, "--json"], { env: backend.env }));
      const ends: CliExit[] = await Promise.all(resumes.map((r) => r.exited));
      const after3 = await sideEffects(server, ws, prefix);

      // Exactly one drove it to the end; each other was refused, naming why, and nothing crashed.
      const winners = ends.filter((e) => e.code === 0);
      expect(winners, `trial ${trial}: ${ends.map((e) => `exit ${e.code}: ${e.stderr}`).join("\n")}`).toHaveLength(1);
      const result = JSON.parse(winners[0]?.stdout ?? "{}") as { status: string; tasks: { status: string }[] };
      expect(result.status).toBe("completed");
      expect(result.tasks.filter((t) => t.status === "completed")).toHaveLength(TASKS);
      for (const loser of ends.filter((e) => e.code !== 0)) {
        expect(loser.signal).toBeNull();
        expect(loser.stdout).toBe("");
        if (loser.code === 2) {
          // Held by another resume: the one driving it, or one that took the lease after it to find the run finished.
          const others = resumes.map((r) => r.pid).filter((pid) => pid !== loser.pid);
          expect(loser.stderr).toMatch(
            new RegExp(
              `^Error \\[RUN_BUSY\\]: Run "${runId}" is busy: pid (${others.join("|")}) on host \\S+ \\(resume\\) since \\S+Z, lease until \\S+Z\\. Nothing was done\\.`,
            ),
          );
          tally.busy++;
        } else {
          expect(loser.code).toBe(1);
          expect(loser.stderr).toBe(`Error [RUN_FINISHED]: Run "${runId}" already finished (completed); there is nothing to resume.\n`);
          tally.finished++;
        }
      }

      // Side effects: none from two resumes, none again for a task completed in the checkpoint, none missing.
      for (let i = 0; i < TASKS; i++) {
        const [was, now, status] = [before[i] ?? 0, after3[i] ?? 0, atKill[i]];
        const label = `trial ${trial}, t${i} (${status} at the kill; effects ${was} then ${now})`;
        if (now - was > 1 || (status === "completed" && now !== was)) tally.ranTwice++;
        if (now < 1) tally.lost++;
        expect.soft(now - was, label).toBeLessThanOrEqual(status === "completed" ? 0 : 1);
        expect.soft(now, label).toBeGreaterThanOrEqual(1);
        if (status === "running") {
          tally.inFlightAtKill++;
          if (was > 0 && now > was) tally.resentAfterCrash++;
        } else expect.soft(now, label).toBe(1);
      }
      tally.trials++;
      tally.killedAfter.push(after);
    }
    await annotate(JSON.stringify(tally));
    expect(tally).toMatchObject({ trials: TRIALS, ranTwice: 0, lost: 0 });
    expect(tally.busy + tally.finished).toBe(2 * TRIALS);
  });
});
