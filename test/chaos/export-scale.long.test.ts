import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { WorkflowEngine } from "../../src/engine/workflow-engine.js";
import type { PlanInput } from "../../src/model/plan-schema.js";
import { runCli } from "../fixtures/cli.js";
import { chaosBackend, dropSchemas } from "../fixtures/cli-child.js";
import { makeTempDir } from "../fixtures/context.js";

/**
 * `runs export` and `runs history` of a 1,000-task run. Before the fold (src/engine/checkpoint-replay.ts)
 * the export took 202 s on SQLite (every checkpoint rebuilt from all its ancestors); the bound here is
 * generous (a loaded 2-core machine), the read count is the real check.
 */
const ID = randomBytes(4).toString("hex");
const SCHEMA_PREFIX = `wfe_chaos_export_${ID}_`;
const TASKS = 1000;
const EXPORT_BOUND_MS = 60_000;

/** 100 chains of 10 instant waits. */
function plan(): PlanInput {
  return {
    tasks: Array.from({ length: TASKS }, (_, i) => ({
      id: `t${i}`,
      action_type: "wait" as const,
      action_config: { ms: 0 },
      dependencies: i % 10 === 0 ? [] : [`t${i - 1}`],
    })),
  };
}

afterAll(() => dropSchemas(SCHEMA_PREFIX));

describe.each(["sqlite", "postgres"] as const)("a 1,000-task run (%s)", (name) => {
  it("exports in bounded time, reading each checkpoint a bounded number of times, with every task and checkpoint", async ({ annotate }) => {
    const { dir: ws, cleanup } = await makeTempDir("wf-chaos-export-");
    const backend = chaosBackend(name, `${SCHEMA_PREFIX}${name}`);
    try {
      const engine = new WorkflowEngine({ workspace: ws, ...backend.options(ws) });
      const runId = `export-${name}-${ID}`;
      try {
        expect((await engine.run(plan(), { runId })).status).toBe("completed");
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
        const started = performance.now();
        const doc = (await engine.exportRun(runId)) as { checkpoints: unknown[] };
        const inProcessMs = Math.round(performance.now() - started);
        const checkpoints = doc.checkpoints.length;
        await annotate(`in process: export ${inProcessMs} ms, ${checkpoints} checkpoints, reads ${JSON.stringify(reads)}`);
        expect(checkpoints).toBeGreaterThan(100);
        // getState walks back to the newest snapshot once (< checkpoints), the history lists them once.
        expect(reads.getTuple + reads.listed).toBeLessThanOrEqual(3 * checkpoints);
      } finally {
        await engine.close();
      }

      const out = path.join(ws, "export.json");
      const started = performance.now();
      const exported = await runCli(["runs", "export", runId, "--workspace", ws, "--out", out], { env: backend.env });
      const cliMs = Math.round(performance.now() - started);
      expect(exported.code, exported.stderr).toBe(0);
      const doc = JSON.parse(await readFile(out, "utf8")) as {
        result: { tasks: { status: string }[] };
        checkpoints: { step: number; tasks: Record<string, number> }[];
      };
      expect(doc.result.tasks.filter((t) => t.status === "completed")).toHaveLength(TASKS);
      expect(doc.checkpoints[0]?.tasks).toEqual({ completed: TASKS });
      expect(doc.checkpoints.at(-1)?.step).toBe(-1);
      const history = await runCli(["runs", "history", runId, "--workspace", ws], { env: backend.env });
      expect(history.code, history.stderr).toBe(0);
      expect(history.stdout.trimEnd().split("\n")).toHaveLength(50);
      await annotate(`CLI: runs export ${cliMs} ms (bound ${EXPORT_BOUND_MS} ms; before the fold: 202 s on SQLite)`);
      expect(cliMs).toBeLessThan(EXPORT_BOUND_MS);
    } finally {
      await cleanup();
    }
  });
});
