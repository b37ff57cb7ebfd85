import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Planner } from "../../../src/model/planner.js";
import type { EngineOptions } from "../../../src/engine/engine-options.js";
import type { TaskReport, WorkflowResult } from "../../../src/engine/result.js";
import { WorkflowEngine } from "../../../src/engine/workflow-engine.js";
import type { PlanInput } from "../../../src/model/plan-schema.js";
import { makeTempDir } from "../../fixtures/context.js";

const DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

function task(result: WorkflowResult, id: string): TaskReport {
  const t = result.tasks.find((x) => x.id === id);
  expect(t, `task ${id}`).toBeDefined();
  return t as TaskReport;
}

describe("who may let db_query write, through the engine on PostgreSQL", () => {
  const schema = `wf_guard_engine_${randomBytes(6).toString("hex")}`;
  const table = `${schema}.items`;
  let ws: string;
  let cleanup: () => Promise<void>;
  let admin: pg.Client;

  beforeAll(async () => {
    ({ dir: ws, cleanup } = await makeTempDir("wf-guard-engine-"));
    admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`CREATE TABLE ${table} (name text NOT NULL)`);
  });
  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
    await cleanup();
  });

  const names = async () => (await admin.query<{ name: string }>(`SELECT name FROM ${table} ORDER BY name`)).rows.map((r) => r.name);

  /** A plan that inserts `name`; `allow_writes` as given. */
  const insertPlan = (name: string, allowWrites?: boolean): PlanInput => ({
    ...(allowWrites === undefined ? {} : { allow_writes: allowWrites }),
    tasks: [{ id: "insert", action_type: "db_query", action_config: { query: `INSERT INTO ${table} (name) VALUES ($1)`, params: [name] } }],
  });

  async function runWith(options: Partial<EngineOptions>, goalOrPlan: string | PlanInput): Promise<WorkflowResult> {
    // approve "auto": these tests are about the SQL guard, not about asking a person first.
    const engine = new WorkflowEngine({
      persist: "memory",
      workspace: ws,
      databaseUrl: DATABASE_URL,
      advisor: null,
      env: {},
      approve: "auto",
      ...options,
    });
    try {
      return await engine.run(goalOrPlan);
    } finally {
      await engine.close();
    }
  }

  it("refuses an INSERT in the user's plan that does not allow writes, and nothing is written", async () => {
    for (const allowWrites of [undefined, false]) {
      // The plan shows the INSERT: refused before anything runs, with the SQL guard's reason.
      const run = runWith({}, insertPlan("refused", allowWrites));
      await expect(run).rejects.toMatchObject({ code: "PLAN_REFUSED", details: { refusals: [{ task: "insert", code: "SQL_REFUSED" }] } });
      await expect(run).rejects.toThrow("set allowWrites: true, or allow_writes: true in your plan file");
    }
    expect(await names()).toEqual([]);
  });

  it("lets the user's plan write with allow_writes: true", async () => {
    const result = await runWith({}, insertPlan("from-plan", true));
    expect(result.status).toBe("completed");
    expect(task(result, "insert").result).toEqual({ rows: [], row_count: 1 });
    expect(await names()).toContain("from-plan");
  });

  it("lets any plan write with the engine's allowWrites option (--allow-writes)", async () => {
    const result = await runWith({ allowWrites: true }, insertPlan("from-option"));
    expect(result.status).toBe("completed");
    expect(await names()).toContain("from-option");
  });

  it("ignores allow_writes in a plan an LLM planner produced", async () => {
    let planned = 0;
    const llm: Planner = {
      kind: "llm",
      async plan() {
        planned++;
        return { plan: insertPlan("from-llm", true), planner: "llm" };
      },
    };
    const refused = runWith({ planner: llm }, "add a row named from-llm");
    await expect(refused).rejects.toMatchObject({ code: "PLAN_REFUSED", details: { refusals: [{ task: "insert", code: "SQL_REFUSED" }] } });
    expect(planned).toBe(1);
    expect(await names()).not.toContain("from-llm");

    // --allow-writes is the user's decision, and does let the same plan write.
    const allowed = await runWith({ planner: llm, allowWrites: true }, "add a row named from-llm");
    expect(allowed.status).toBe("completed");
    expect(await names()).toContain("from-llm");
  });

  it("refuses a {{reference}} inside the SQL text before anything runs (PLAN_INVALID)", async () => {
    const plan: PlanInput = {
      allow_writes: true,
      variables: { name: "spliced" },
      tasks: [{ id: "insert", action_type: "db_query", action_config: { query: `INSERT INTO ${table} (name) VALUES ('{{name}}')` } }],
    };
    await expect(runWith({}, plan)).rejects.toMatchObject({
      code: "PLAN_INVALID",
      message: expect.stringContaining("parameters are always bound, never spliced into the SQL"),
    });
    expect(await names()).not.toContain("spliced");
  });
});
