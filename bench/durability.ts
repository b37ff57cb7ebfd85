import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { WorkflowEngine } from "../src/engine/workflow-engine.js";
import type { PlanInput } from "../src/model/plan-schema.js";
import { zeroWorkPlan } from "./common.js";

export interface DurabilityRow {
  backend: string;
  tasks: number;
  wall_ms: number;
  per_task_ms: number;
  bytes: number | null;
  bytes_per_task: number | null;
  ratio_to_payload: number | null;
}

const PAYLOAD = 1024;

/** `n` independent tasks, each returning a 1 KB string. */
function kilobytePlan(n: number): PlanInput {
  return {
    tasks: Array.from({ length: n }, (_, i) => ({
      id: `t${i}`,
      action_type: "transform_data" as const,
      action_config: { input: i, expression: `$pad("", ${PAYLOAD}, "x")` },
    })),
  };
}

function sqliteBytes(file: string, runId: string): number {
  const db = new Database(file, { readonly: true });
  try {
    const a = db
      .prepare("SELECT COALESCE(SUM(LENGTH(checkpoint) + LENGTH(metadata)), 0) AS n FROM checkpoints WHERE thread_id = ?")
      .get(runId) as { n: number };
    const b = db.prepare("SELECT COALESCE(SUM(LENGTH(value)), 0) AS n FROM writes WHERE thread_id = ?").get(runId) as { n: number };
    return a.n + b.n;
  } finally {
    db.close();
  }
}

async function postgresBytes(url: string, schema: string, runId: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const q = async (sql: string) => Number((await client.query(sql, [runId])).rows[0]?.n ?? 0);
    return (
      (await q(
        `SELECT COALESCE(SUM(octet_length(checkpoint::text) + octet_length(metadata::text)), 0) AS n FROM "${schema}".checkpoints WHERE thread_id = $1`,
      )) +
      (await q(`SELECT COALESCE(SUM(octet_length(blob)), 0) AS n FROM "${schema}".checkpoint_blobs WHERE thread_id = $1`)) +
      (await q(`SELECT COALESCE(SUM(octet_length(blob)), 0) AS n FROM "${schema}".checkpoint_writes WHERE thread_id = $1`))
    );
  } finally {
    await client.end();
  }
}

/** Run `n` 1 KB tasks on each backend and report time per task and checkpoint bytes. */
export async function measureDurability(n: number, pgUrl: string | undefined): Promise<DurabilityRow[]> {
  const workspace = mkdtempSync(path.join(tmpdir(), "wf-bench-dur-"));
  const schema = `bench_${process.pid}`;
  const backends: [string, ConstructorParameters<typeof WorkflowEngine>[0]][] = [
    ["memory", { persist: "memory" }],
    ["sqlite", { persist: "sqlite" }],
    ...(pgUrl
      ? [
          ["postgres", { persist: "postgres", checkpointUrl: pgUrl, checkpointSchema: schema }] as [
            string,
            ConstructorParameters<typeof WorkflowEngine>[0],
          ],
        ]
      : []),
  ];
  const rows: DurabilityRow[] = [];
  try {
    for (const [backend, options] of backends) {
      const engine = new WorkflowEngine({ workspace, planner: "rules", advisor: null, env: {}, limits: { maxTasks: 10_000 }, ...options });
      const runId = `bench-${backend}-${n}`;
      const start = performance.now();
      const result = await engine.run(kilobytePlan(n), { runId: runId });
      const wall = performance.now() - start;
      await engine.close();
      if (result.status !== "completed") throw new Error(`durability bench ended ${result.status}`);
      const bytes =
        backend === "sqlite"
          ? sqliteBytes(path.join(workspace, ".workflow-state", "checkpoints.sqlite"), runId)
          : backend === "postgres" && pgUrl
            ? await postgresBytes(pgUrl, schema, runId)
            : null;
      rows.push({
        backend,
        tasks: n,
        wall_ms: Math.round(wall),
        per_task_ms: Math.round((wall / n) * 100) / 100,
        bytes,
        bytes_per_task: bytes === null ? null : Math.round(bytes / n),
        ratio_to_payload: bytes === null ? null : Math.round((bytes / (n * PAYLOAD)) * 100) / 100,
      });
    }
  } finally {
    if (pgUrl) {
      const client = new pg.Client({ connectionString: pgUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
    rmSync(workspace, { recursive: true, force: true });
  }
  return rows;
}

/** Checkpoint bytes per zero-work task on SQLite: what the engine itself stores per task, with no payload. */
export async function zeroWorkBytes(n: number): Promise<{ shape: "chain" | "fanout"; tasks: number; bytes_per_task: number }[]> {
  const workspace = mkdtempSync(path.join(tmpdir(), "wf-bench-bytes-"));
  const out: { shape: "chain" | "fanout"; tasks: number; bytes_per_task: number }[] = [];
  try {
    for (const shape of ["chain", "fanout"] as const) {
      const engine = new WorkflowEngine({
        workspace,
        planner: "rules",
        advisor: null,
        env: {},
        limits: { maxTasks: 10_000 },
        persist: "sqlite",
      });
      const runId = `bytes-${shape}-${n}`;
      const result = await engine.run(zeroWorkPlan(n, shape), { runId });
      await engine.close();
      if (result.status !== "completed") throw new Error(`bytes bench ended ${result.status}`);
      const bytes = sqliteBytes(path.join(workspace, ".workflow-state", "checkpoints.sqlite"), runId);
      out.push({ shape, tasks: n, bytes_per_task: Math.round(bytes / n) });
    }
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
  return out;
}
