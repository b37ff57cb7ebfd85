import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PlanInput } from "../../src/model/plan-schema.js";
import { runCli } from "../fixtures/cli.js";
import { makeTempDir } from "../fixtures/context.js";

const DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/**
 * The attack: with writes allowed, SQL that hides what it does from a parse tree (a DO block's EXECUTE, a
 * function's dynamic SQL, a string run by query_to_xml) wrote a file on the database server and changed the
 * pooled connection's session for the next task. Every such task must be refused before reaching the
 * server, once, while the honest tasks of the same run do their work exactly once.
 */
describe("DO blocks and dynamic SQL in a run that may write", () => {
  const tag = randomBytes(6).toString("hex");
  const schema = `wf_chaos_do_${tag}`;
  const serverFile = `/tmp/wf-chaos-do-${tag}.txt`;
  let root: string;
  let cleanup: () => Promise<void>;
  let admin: pg.Client;

  beforeAll(async () => {
    ({ dir: root, cleanup } = await makeTempDir("wf-chaos-do-"));
    admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`CREATE TABLE ${schema}.items (name text NOT NULL)`);
  });
  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
    await cleanup();
  });

  const attacks: Record<string, string> = {
    do_copy: `DO $$ BEGIN EXECUTE 'COPY (SELECT ''owned'') TO ''${serverFile}'''; END $$`,
    do_session: "DO $$ BEGIN PERFORM set_config('application_name', 'hijacked', false); END $$",
    do_language: `DO LANGUAGE plpgsql $x$ BEGIN EXECUTE format('COPY (SELECT 1) TO %L', '${serverFile}'); END $x$`,
    fn_execute: `CREATE FUNCTION ${schema}.leak(p text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'COPY (SELECT 1) TO ' || quote_literal(p); END $$`,
    call_proc: `CALL ${schema}.anything()`,
    xml_copy: `SELECT query_to_xml('COPY (SELECT 1) TO ''${serverFile}''', true, false, '')`,
    session_cte: "WITH s AS (SELECT pg_catalog.set_config('application_name', 'hijacked', false) AS v) SELECT v FROM s",
    read_file: "SELECT length(pg_read_file('/etc/hostname'))::int AS n",
    large_object: `SELECT lo_export(lo_from_bytea(0, 'owned'), '${serverFile}')`,
  };

  it("refuses every attack once, writes no server file, leaves the session alone, and runs the honest tasks once", async () => {
    const plan: PlanInput = {
      tasks: [
        ...Object.entries(attacks).map(([id, query]) => ({
          id,
          action_type: "db_query" as const,
          action_config: { query },
          on_failure: "skip" as const,
        })),
        {
          id: "insert",
          action_type: "db_query",
          action_config: { query: `INSERT INTO ${schema}.items (name) VALUES ($1)`, params: ["honest"] },
        },
        // After the attacks (one task at a time, in plan order), on the same pool: the session must still be the engine's.
        {
          id: "probe",
          action_type: "db_query",
          action_config: { query: "SELECT current_setting('application_name') AS app" },
          dependencies: ["insert"],
        },
      ],
    };
    const file = path.join(root, "plan.json");
    await writeFile(file, JSON.stringify(plan));

    const run = await runCli(
      ["--plan", file, "--workspace", root, "--allow-writes", "--approve", "auto", "--no-persist", "--json", "--concurrency", "1"],
      {
        env: { DATABASE_URL },
      },
    );
    // The plan shows every attack: it is refused before anything runs (exit 2), each attack named with the
    // SQL guard's rule; the honest tasks did not run either, and nothing reached the database.
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^Error \[PLAN_REFUSED\]: The plan was refused before anything ran:/);
    for (const id of Object.keys(attacks)) expect(run.stderr, id).toContain(`task "${id}": SQL_REFUSED`);
    expect(run.stderr).toContain('rule "dynamic-sql"');
    expect(run.stderr).toContain("DO runs a procedural block");
    expect(run.stderr).toContain("PL/pgSQL body uses EXECUTE");
    expect(run.stderr).toContain("set_config()");
    expect(run.stderr).not.toContain('task "insert"');
    expect((await admin.query(`SELECT name FROM ${schema}.items`)).rows).toEqual([]);

    // No file on the database server, and no function left behind.
    const stat = await admin.query("SELECT pg_stat_file($1, true) AS s", [serverFile]);
    expect(stat.rows[0].s).toBeNull();
    const fns = await admin.query("SELECT proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1", [
      schema,
    ]);
    expect(fns.rows).toEqual([]);
  });
});
