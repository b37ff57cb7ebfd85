import { dropSchemas } from "../../fixtures/cli-child.js";
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { EngineOptions } from "../../../src/engine/engine-options.js";
import type { CheckpointSummary } from "../../../src/engine/run-admin.js";
import { WorkflowEngine } from "../../../src/engine/workflow-engine.js";
import type { WorkflowGraph } from "../../../src/graph/build-graph.js";
import type { WorkflowStateValue } from "../../../src/graph/workflow-state.js";
import type { PlanInput } from "../../../src/model/plan-schema.js";
import type { TaskStatus } from "../../../src/model/task-state.js";
import { makeTempDir } from "../../fixtures/context.js";
import { waitTask } from "../../fixtures/plans.js";

const PG_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const ID = randomBytes(4).toString("hex");
const SCHEMA_PREFIX = `wfe_replay_${ID}_`;
let schemas = 0;

/**
 * What `runHistory` returned before the fold (src/engine/checkpoint-replay.ts): LangGraph's getStateHistory,
 * which rebuilds every checkpoint's delta channels from its ancestors. The fold must give the same, key
 * order included (the text output prints the counts in that order).
 */
async function referenceHistory(graph: WorkflowGraph, runId: string, limit: number): Promise<CheckpointSummary[]> {
  const out: CheckpointSummary[] = [];
  for await (const snap of graph.getStateHistory({ configurable: { thread_id: runId } }, { limit })) {
    const values = snap.values as Partial<WorkflowStateValue>;
    const tasks: Partial<Record<TaskStatus, number>> = {};
    for (const t of Object.values(values.tasks ?? {})) tasks[t.status] = (tasks[t.status] ?? 0) + 1;
    out.push({
      checkpoint_id: String(snap.config.configurable?.checkpoint_id ?? ""),
      step: Number(snap.metadata?.step ?? -1),
      ...(snap.createdAt ? { created_at: snap.createdAt } : {}),
      next: [...snap.next],
      ...(values.context?.status ? { status: values.context.status } : {}),
      tasks,
    });
  }
  return out;
}

const fastRetry = { max_attempts: 2, backoff_ms: 1, max_backoff_ms: 5 };
const missing = (id: string, extra: object = {}, dependencies: string[] = []) => ({
  id,
  action_type: "file_operation" as const,
  action_config: { operation: "read" as const, path: `missing-${id}.txt` },
  dependencies,
  ...extra,
});

/** Plans that move tasks through every status: retries, a modify, skips, a failure. */
const PLANS: [string, PlanInput][] = [
  [
    "retries, a modify and skips",
    {
      tasks: [
        waitTask("ten", 2),
        waitTask("two", 1),
        waitTask("b", 1, ["ten"]),
        { id: "write", action_type: "file_operation", action_config: { operation: "write", path: "there.txt", content: "x" } },
        missing("retried", { retry: fastRetry, on_failure: "skip" }, ["two"]),
        waitTask("after_retried", 0, ["retried"]),
        missing("patched", { on_failure: { modify: { path: "there.txt" } } }, ["write"]),
        waitTask("zero", 0, ["patched", "b"]),
      ],
    },
  ],
  ["a failure that stops the run", { tasks: [waitTask("a", 1), missing("bad", {}, ["a"]), waitTask("c", 0, ["bad"]), waitTask("d", 3)] }],
];

const BACKENDS: [string, () => Partial<EngineOptions>][] = [
  ["sqlite", () => ({})],
  ["postgres", () => ({ checkpointUrl: PG_URL, checkpointSchema: `${SCHEMA_PREFIX}${++schemas}` })],
];

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(() => dropSchemas(SCHEMA_PREFIX));

async function engineOn(backend: () => Partial<EngineOptions>, extra: Partial<EngineOptions> = {}): Promise<WorkflowEngine> {
  const { dir, cleanup } = await makeTempDir("wf-replay-");
  const engine = new WorkflowEngine({ workspace: dir, env: {}, advisor: null, ...backend(), ...extra });
  cleanups.push(cleanup, () => engine.close());
  return engine;
}

/** The fold and the reference agree on every checkpoint, key order included, for the whole history and a limit. */
async function expectSameHistory(engine: WorkflowEngine, runId: string): Promise<CheckpointSummary[]> {
  const graph = await engine.compiledGraph();
  const full = await engine.runHistory(runId, 10_000);
  expect(JSON.stringify(full)).toBe(JSON.stringify(await referenceHistory(graph, runId, 10_000)));
  expect(JSON.stringify(await engine.runHistory(runId, 3))).toBe(JSON.stringify(await referenceHistory(graph, runId, 3)));
  return full;
}

describe.each(BACKENDS)("runHistory folds checkpoints and matches LangGraph's getStateHistory (%s)", (_name, backend) => {
  it.each(PLANS)("%s", async (_title, plan) => {
    const engine = await engineOn(backend);
    const result = await engine.run(plan, { runId: `replay-${ID}` });
    expect(["completed_with_errors", "failed"]).toContain(result.status);
    const history = await expectSameHistory(engine, `replay-${ID}`);
    const statuses = new Set(history.flatMap((c) => Object.keys(c.tasks)));
    expect(statuses.size, [...statuses].join(",")).toBeGreaterThanOrEqual(4);
  });

  it("a run paused for approval, then approved", async () => {
    const engine = await engineOn(backend, { approve: "ask" });
    const plan: PlanInput = {
      tasks: [
        waitTask("first", 1),
        {
          id: "save",
          action_type: "file_operation",
          action_config: { operation: "write", path: "out.txt", content: "x" },
          dependencies: ["first"],
        },
        waitTask("last", 0, ["save"]),
      ],
    };
    const runId = `approve-${ID}`;
    expect((await engine.run(plan, { runId })).status).toBe("awaiting_approval");
    const paused = await expectSameHistory(engine, runId);
    // Paused inside decide (interrupt): the last checkpoint runs decide again on approval.
    expect(paused[0]).toMatchObject({ next: ["decide"], status: "running", tasks: { completed: 1, pending: 2 } });
    expect((await engine.decide(runId, { approve: true })).status).toBe("completed");
    const done = await expectSameHistory(engine, runId);
    expect(done[0]).toMatchObject({ next: [], status: "completed", tasks: { completed: 3 } });
  });

  it("exporting a run reads each checkpoint a bounded number of times (was: every ancestor of every checkpoint)", async () => {
    const engine = await engineOn(backend);
    const runId = `reads-${ID}`;
    const tasks = Array.from({ length: 120 }, (_, i) => waitTask(`t${i}`, 0, i % 6 === 0 ? [] : [`t${i - 1}`]));
    expect((await engine.run({ tasks }, { runId })).status).toBe("completed");
    const saver = (await engine.compiledGraph()).checkpointer as {
      getTuple: (...a: unknown[]) => Promise<unknown>;
      list: (...a: unknown[]) => AsyncGenerator<unknown>;
    };
    const reads = { getTuple: 0, listed: 0 };
    const [getTuple, list] = [saver.getTuple.bind(saver), saver.list.bind(saver)];
    saver.getTuple = (...a) => {
      reads.getTuple++;
      return getTuple(...a);
    };
    saver.list = async function* (...a) {
      for await (const t of list(...a)) {
        reads.listed++;
        yield t;
      }
    };
    const doc = (await engine.exportRun(runId)) as { checkpoints: unknown[] };
    expect(doc.checkpoints.length).toBeGreaterThan(20);
    // One list of every checkpoint, and one walk back from the latest for its state.
    expect(reads.listed).toBe(doc.checkpoints.length);
    expect(reads.getTuple).toBeLessThanOrEqual(doc.checkpoints.length + 2);
  });
});
