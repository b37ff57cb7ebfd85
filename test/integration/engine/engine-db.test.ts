import { randomBytes } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { TaskReport, WorkflowResult } from "../../../src/engine/result.js";
import { WorkflowEngine } from "../../../src/engine/workflow-engine.js";
import type { PlanInput } from "../../../src/model/plan-schema.js";
import { makeTempDir } from "../../fixtures/context.js";
import { until } from "../../fixtures/graph-harness.js";

const DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

function byId(result: WorkflowResult, id: string): TaskReport {
  const t = result.tasks.find((x) => x.id === id);
  expect(t, `task ${id}`).toBeDefined();
  return t as TaskReport;
}

const unique = () => randomBytes(6).toString("hex");

/** Create a table, insert with bound parameters, select, reshape the rows and write them to a file. */
function pipeline(table: string): PlanInput {
  return {
    // The user's own plan: its CREATE and INSERT may write.
    allow_writes: true,
    tasks: [
      {
        id: "create",
        action_type: "db_query",
        action_config: { query: `CREATE TABLE ${table} (id serial PRIMARY KEY, name text NOT NULL, score int NOT NULL)` },
      },
      {
        id: "insert",
        action_type: "db_query",
        action_config: {
          query: `INSERT INTO ${table} (name, score) VALUES ($1, $2), ($3, $4), ($5, $6) RETURNING name`,
          params: ["ada", 3, "brian", 9, "{{third}}", 7],
        },
        dependencies: ["create"],
      },
      {
        id: "select",
        action_type: "db_query",
        action_config: { query: `SELECT name, score FROM ${table} WHERE score > $1 ORDER BY score DESC`, params: ["{{min_score}}"] },
        dependencies: ["insert"],
      },
      {
        id: "shape",
        action_type: "transform_data",
        action_config: { input: "{{select.rows}}", expression: "$.(name & ':' & $string(score))" },
      },
      { id: "save", action_type: "file_operation", action_config: { operation: "write", path: "out/top.json", content: "{{shape.data}}" } },
    ],
  };
}

const VARIABLES = { third: "chloe'); DROP TABLE users; --", min_score: 5 };

function expectPipelineResult(result: WorkflowResult): void {
  expect(result.status).toBe("completed");
  expect(byId(result, "create").result).toEqual({ rows: [], row_count: 0 });
  expect(byId(result, "insert").result).toEqual({
    rows: [{ name: "ada" }, { name: "brian" }, { name: VARIABLES.third }],
    row_count: 3,
  });
  expect(byId(result, "select").result).toEqual({
    rows: [
      { name: "brian", score: 9 },
      { name: VARIABLES.third, score: 7 },
    ],
    row_count: 2,
  });
  expect(byId(result, "shape").result).toEqual({ data: ["brian:9", `${VARIABLES.third}:7`] });
  expect(byId(result, "save").dependencies).toEqual(["shape"]);
}

describe("db_query through the engine on PostgreSQL", () => {
  let ws: string;
  let cleanup: () => Promise<void>;
  let admin: pg.Client;
  const table = `wf_engine_${unique()}`;
  const appName = `wf_engine_test_${unique()}`;

  beforeAll(async () => {
    ({ dir: ws, cleanup } = await makeTempDir("wf-engine-pg-"));
    admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.query(`DROP TABLE IF EXISTS ${table}`);
    await admin.end();
    await cleanup();
  });

  const connections = async () =>
    (await admin.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1", [appName])).rows[0]?.n;

  it("runs the pipeline, keeps parameters bound, and close() ends the pool", async () => {
    const engine = new WorkflowEngine({
      workspace: ws,
      planner: "rules",
      advisor: null,
      env: {},
      databaseUrl: `${DATABASE_URL}?application_name=${appName}`,
    });
    let closed = false;
    try {
      const result = await engine.run(pipeline(table), { variables: VARIABLES });
      expectPipelineResult(result);
      expect(JSON.parse(await readFile(path.join(ws, "out/top.json"), "utf8"))).toEqual(["brian:9", `${VARIABLES.third}:7`]);
      // The rows are really in PostgreSQL, and the injected text stayed data.
      const rows = (await admin.query(`SELECT name, score FROM ${table} ORDER BY id`)).rows;
      expect(rows).toEqual([
        { name: "ada", score: 3 },
        { name: "brian", score: 9 },
        { name: VARIABLES.third, score: 7 },
      ]);
      // PostgreSQL, not PGlite: nothing under the state folder.
      await expect(stat(path.join(ws, ".workflow-state/pglite"))).rejects.toMatchObject({ code: "ENOENT" });
      expect(await connections()).toBeGreaterThan(0);

      await engine.close();
      closed = true;
      await until(async () => (await connections()) === 0, 5_000);
      await engine.close(); // closing twice is harmless
    } finally {
      if (!closed) await engine.close();
    }
  });

  it("reports a failing query as DB_ERROR with the SQLSTATE and fails the run", async () => {
    const engine = new WorkflowEngine({ workspace: ws, planner: "rules", advisor: null, env: {}, databaseUrl: DATABASE_URL });
    try {
      const result = await engine.run({
        tasks: [{ id: "bad", action_type: "db_query", action_config: { query: `SELECT nope FROM ${table}_missing` } }],
      });
      expect(result.status).toBe("failed");
      expect(byId(result, "bad")).toMatchObject({ status: "failed", attempts: 1, error: { code: "DB_ERROR", retryable: false } });
      expect(byId(result, "bad").error?.message).toContain("SQLSTATE 42P01");
    } finally {
      await engine.close();
    }
  });
});

describe("db_query through the engine on the embedded PGlite", () => {
  let ws: string;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ dir: ws, cleanup } = await makeTempDir("wf-engine-pglite-"));
  });
  afterEach(async () => {
    await cleanup();
  });

  it("runs the pipeline with its database files under <workspace>/.workflow-state/pglite, kept after close()", async () => {
    const table = `wf_engine_${unique()}`;
    const first = new WorkflowEngine({ workspace: ws, planner: "rules", advisor: null, env: {} });
    try {
      expectPipelineResult(await first.run(pipeline(table), { variables: VARIABLES }));
    } finally {
      await first.close();
    }
    const dataDir = path.join(ws, ".workflow-state", "pglite");
    expect((await stat(dataDir)).isDirectory()).toBe(true);
    expect((await readFile(path.join(dataDir, "PG_VERSION"), "utf8")).trim()).toMatch(/^\d+$/);
    expect(JSON.parse(await readFile(path.join(ws, "out/top.json"), "utf8"))).toEqual(["brian:9", `${VARIABLES.third}:7`]);

    // A second engine on the same workspace opens the same database: the rows are on disk.
    const second = new WorkflowEngine({ workspace: ws, planner: "rules", advisor: null, env: {} });
    try {
      const result = await second.run({
        allow_writes: true,
        tasks: [
          { id: "count", action_type: "db_query", action_config: { query: `SELECT count(*)::int AS n FROM ${table}` } },
          { id: "drop", action_type: "db_query", action_config: { query: `DROP TABLE ${table}` }, dependencies: ["count"] },
        ],
      });
      expect(result.status).toBe("completed");
      expect(byId(result, "count").result).toEqual({ rows: [{ n: 3 }], row_count: 1 });
    } finally {
      await second.close();
    }
  });

  it("uses a custom stateDir for PGlite when one is given", async () => {
    const engine = new WorkflowEngine({ workspace: ws, stateDir: "state", planner: "rules", advisor: null, env: {} });
    try {
      const result = await engine.run({ tasks: [{ id: "one", action_type: "db_query", action_config: { query: "SELECT 1 AS one" } }] });
      expect(byId(result, "one").result).toEqual({ rows: [{ one: 1 }], row_count: 1 });
    } finally {
      await engine.close();
    }
    expect((await stat(path.join(ws, "state", "pglite", "PG_VERSION"))).isFile()).toBe(true);
  });
});
