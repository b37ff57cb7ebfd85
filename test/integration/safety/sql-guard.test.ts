import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbQuery } from "../../../src/actions/db-query/run.js";
import type { DbQueryConfig, DbQueryResult } from "../../../src/model/action-config/db-query.js";
import type { ActionContext, SqlClient } from "../../../src/actions/types.js";
import { PlanValidationError } from "../../../src/model/errors.js";
import { validatePlan } from "../../../src/plan/validate.js";
import { createSqlClient } from "../../../src/actions/db-query/sql-client.js";
import { defaultRunSafety, Limits, type LimitsInput } from "../../../src/model/safety-policy.js";
import { silentLogger } from "../../../utils/logger.js";
import { makeContext, makeTempDir, SQL_SETUP } from "../../fixtures/context.js";
import { failure } from "../../fixtures/errors.js";

const DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const never = new AbortController().signal;

interface Backend {
  sql: SqlClient;
  /** Schema (PostgreSQL) or prefix (PGlite) of this run's objects: `${ns}items`, `${ns}canary`, `${ns}seq`. */
  ns: string;
  /** The statement-timeout test's sleep, and how soon the query must end: PGlite cannot interrupt a statement. */
  sleep: { seconds: number; endsWithinMs: number };
  cleanup(): Promise<void>;
}

async function postgresBackend(): Promise<Backend> {
  const { dir, cleanup } = await makeTempDir();
  const sql = await createSqlClient({ databaseUrl: DATABASE_URL, stateDir: dir, logger: silentLogger() });
  const schema = `wf_guard_${randomBytes(6).toString("hex")}`;
  await sql.query(`CREATE SCHEMA ${schema}`, [], never, SQL_SETUP);
  return {
    sql,
    ns: `${schema}.`,
    sleep: { seconds: 10, endsWithinMs: 3_000 },
    async cleanup() {
      await sql.query(`DROP SCHEMA ${schema} CASCADE`, [], never, SQL_SETUP);
      await sql.close();
      await cleanup();
    },
  };
}

async function pgliteBackend(): Promise<Backend> {
  const { dir, cleanup } = await makeTempDir();
  const sql = await createSqlClient({ stateDir: dir, logger: silentLogger() });
  return {
    sql,
    ns: `g${randomBytes(4).toString("hex")}_`,
    sleep: { seconds: 1, endsWithinMs: 3_000 },
    async cleanup() {
      await sql.close();
      await cleanup();
    },
  };
}

/** A SqlClient that counts what is sent through it, around the real one. */
function counting(sql: SqlClient): SqlClient & { sent: string[] } {
  const sent: string[] = [];
  return {
    kind: sql.kind,
    sent,
    query: (text, params, signal, options) => {
      sent.push(text);
      return sql.query(text, params, signal, options);
    },
    close: () => sql.close(),
  };
}

describe.each([
  ["postgres", postgresBackend],
  ["pglite", pgliteBackend],
] as const)("SQL guardrails on %s", (kind, open) => {
  let backend: Backend;
  let client: SqlClient & { sent: string[] };
  let items: string;
  const ctx = (allowWrites: boolean, limits: LimitsInput = {}): ActionContext =>
    makeContext({ sql: client, safety: defaultRunSafety({ allowWrites, limits: Limits.parse(limits) }) });
  const run = (query: string, c: ActionContext, params: unknown[] = []): Promise<DbQueryResult> =>
    dbQuery.run(dbQuery.schema.parse({ query, params }) as DbQueryConfig, c);
  const count = async () => (await backend.sql.query(`SELECT count(*)::int AS n FROM ${items}`, [], never, SQL_SETUP)).rows[0];

  beforeAll(async () => {
    backend = await open();
    client = counting(backend.sql);
    items = `${backend.ns}items`;
    for (const setup of [
      `CREATE TABLE ${items} (id serial PRIMARY KEY, name text NOT NULL)`,
      `INSERT INTO ${items} (name) VALUES ('ada'), ('brian'), ('chloe')`,
      `CREATE TABLE ${backend.ns}canary (id int)`,
      `CREATE SEQUENCE ${backend.ns}seq`,
      // A function that writes: no parse tree of `SELECT ...sneaky()` shows it, the READ ONLY transaction stops it.
      `CREATE FUNCTION ${backend.ns}sneaky() RETURNS int LANGUAGE sql AS 'DELETE FROM ${items}; SELECT 1'`,
    ]) {
      await backend.sql.query(setup, [], never, SQL_SETUP);
    }
  }, 60_000);
  afterAll(async () => {
    await backend?.cleanup();
  }, 30_000);

  const hostile = (ns: string): [string, string][] => [
    [`SELECT 1; DROP TABLE ${ns}canary`, "one-statement"],
    [`/* */; DROP TABLE ${ns}canary`, "read-only"],
    [`SELECT 1 /* ; */ ; DROP TABLE ${ns}canary`, "one-statement"],
    [`DELETE FROM ${ns}items`, "read-only"],
    [`UPDATE ${ns}items SET name = 'x'`, "read-only"],
    [`INSERT INTO ${ns}items (name) VALUES ('x')`, "read-only"],
    [`WITH d AS (DELETE FROM ${ns}items RETURNING *) SELECT count(*) FROM d`, "read-only"],
    [`DROP TABLE ${ns}canary`, "read-only"],
    [`TRUNCATE ${ns}items`, "read-only"],
    [`SELECT * INTO ${ns}copied FROM ${ns}items`, "read-only"],
    [`SELECT * FROM ${ns}items FOR UPDATE`, "read-only"],
    [`DO $$ BEGIN DELETE FROM ${ns}items; END $$`, "dynamic-sql"],
    [`COPY ${ns}items TO PROGRAM 'touch /tmp/wf-guard-pwned'`, "copy"],
    ["SET TRANSACTION READ WRITE", "transaction"],
    ["BEGIN", "transaction"],
    ["COMMIT", "transaction"],
    ["SET statement_timeout = 0", "session"],
    ["SELECT set_config('transaction_read_only', 'off', false)", "session"],
    [`SELEC * FROM ${ns}items`, "syntax"],
  ];

  it("refuses every hostile query before sending anything, and the tables are unchanged", async () => {
    const before = client.sent.length;
    for (const [query, rule] of hostile(backend.ns)) {
      const err = await failure(run(query, ctx(false)));
      expect(err, query).toMatchObject({ code: "SQL_REFUSED", details: { rule } });
    }
    expect(client.sent.length - before).toBe(0);
    expect(await count()).toEqual({ n: 3 });
    const canary = await run(`SELECT count(*)::int AS n FROM ${backend.ns}canary`, ctx(false));
    expect(canary.rows).toEqual([{ n: 0 }]);
  });

  it("runs a read whose comment looks like a second statement, as one statement", async () => {
    const r = await run(`SELECT count(*)::int AS n FROM ${items} -- ; DROP TABLE ${backend.ns}canary`, ctx(false));
    expect(r.rows).toEqual([{ n: 3 }]);
    await run(`SELECT 1 FROM ${backend.ns}canary`, ctx(false));
  });

  it("refuses what the parser cannot see through the READ ONLY transaction (nextval, a function that writes)", async () => {
    const next = await failure(run(`SELECT nextval('${backend.ns}seq')`, ctx(false)));
    expect(next).toMatchObject({ code: "SQL_REFUSED", details: { rule: "read-only", sqlstate: "25006" } });
    expect(next.message).toContain("refused by the database");
    expect(next.message).toContain("set allowWrites: true, or allow_writes: true in your plan file");
    const sneaky = await failure(run(`SELECT ${backend.ns}sneaky()`, ctx(false)));
    expect(sneaky).toMatchObject({ code: "SQL_REFUSED", details: { rule: "read-only", sqlstate: "25006" } });
    expect(await count()).toEqual({ n: 3 });
    // With writes allowed the sequence moves: the READ ONLY transaction was what stopped it.
    expect((await run(`SELECT nextval('${backend.ns}seq')::int AS v`, ctx(true))).rows).toEqual([{ v: 1 }]);
  });

  it("refuses a switch to read-write inside the READ ONLY transaction, even past the guard", async () => {
    const options = { readOnly: true, statementTimeoutMs: 5_000, maxRows: 10, maxResultBytes: 1024 ** 2 };
    const err = await failure(backend.sql.query("SELECT set_config('transaction_read_only', 'off', false)", [], never, options));
    expect(err).toMatchObject({ code: "SQL_REFUSED", details: { rule: "transaction" } });
    expect(err.message).toContain("The transaction was rolled back");
  });

  it("ends a query at its statement timeout with a clear error, rolls it back, and keeps working", async () => {
    const limits = { statementTimeoutSeconds: 0.5 };
    let started = Date.now();
    const err = await failure(run(`SELECT pg_sleep(${backend.sleep.seconds})`, ctx(false, limits)));
    expect(Date.now() - started).toBeLessThan(backend.sleep.endsWithinMs);
    expect(err).toMatchObject({ code: "DB_ERROR", retryable: false, details: { limit: "statementTimeoutSeconds", timeout_seconds: 0.5 } });
    expect(err.message).toContain("statement timeout of 0.5 s and was stopped");
    started = Date.now();
    const write = await failure(
      run(`INSERT INTO ${items} (name) SELECT 'slow' FROM pg_sleep(${backend.sleep.seconds})`, ctx(true, limits)),
    );
    expect(Date.now() - started).toBeLessThan(backend.sleep.endsWithinMs);
    expect(write.details).toMatchObject({ limit: "statementTimeoutSeconds" });
    expect(await count()).toEqual({ n: 3 });
    expect((await run("SELECT 1 AS one", ctx(false))).rows).toEqual([{ one: 1 }]);
  });

  it("caps the rows one query may return, and rolls a write over the cap back", async () => {
    const capped = ctx(false, { maxRows: 5 });
    expect((await run("SELECT generate_series(1, 5) AS n", capped)).row_count).toBe(5);
    const err = await failure(run("SELECT generate_series(1, 6) AS n", capped));
    expect(err).toMatchObject({ code: "ROW_LIMIT", details: { max_rows: 5 } });
    expect(err.message).toContain("more than 5 rows, the limit of one query (limits.maxRows)");
    expect(err.message).toContain("Add a LIMIT");
    const write = await failure(
      run(`INSERT INTO ${items} (name) SELECT 'n' || g FROM generate_series(1, 6) g RETURNING id`, ctx(true, { maxRows: 5 })),
    );
    expect(write.code).toBe("ROW_LIMIT");
    expect(await count()).toEqual({ n: 3 });
  });

  it.runIf(kind === "postgres")("reads only one row over the cap from the server, however many the query has", async () => {
    const started = Date.now();
    const err = await failure(run("SELECT generate_series(1, 100000000) AS n", ctx(false, { maxRows: 5 })));
    expect(err.code).toBe("ROW_LIMIT");
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("lets writes through when they are allowed", async () => {
    const inserted = await run(`INSERT INTO ${items} (name) VALUES ($1) RETURNING name`, ctx(true), ["dora"]);
    expect(inserted).toEqual({ rows: [{ name: "dora" }], row_count: 1 });
    const deleted = await run(`DELETE FROM ${items} WHERE name = $1`, ctx(true), ["dora"]);
    expect(deleted).toEqual({ rows: [], row_count: 1 });
    expect(await count()).toEqual({ n: 3 });
  });

  it("keeps concurrent read-only and writing queries in their own transactions", async () => {
    const reads = Array.from({ length: 6 }, () =>
      run(`SELECT nextval('${backend.ns}seq')`, ctx(false)).then(
        () => "ran",
        (e: { code?: string }) => e.code,
      ),
    );
    const writes = Array.from({ length: 6 }, (_, i) =>
      run(`INSERT INTO ${items} (name) VALUES ($1)`, ctx(true), [`w${i}`]).then(
        () => "ran",
        (e: { code?: string }) => e.code,
      ),
    );
    const [r, w] = await Promise.all([Promise.all(reads), Promise.all(writes)]);
    expect(r).toEqual(Array(6).fill("SQL_REFUSED"));
    expect(w).toEqual(Array(6).fill("ran"));
    await run(`DELETE FROM ${items} WHERE name LIKE 'w%'`, ctx(true));
  });
});

describe("{{references}} in the SQL text", () => {
  it("are refused at plan validation (PLAN_INVALID), saying to use params", () => {
    const plan = {
      variables: { name: "ada" },
      tasks: [{ id: "q", action_type: "db_query", action_config: { query: "SELECT * FROM users WHERE name = '{{name}}'" } }],
    };
    let err: unknown;
    try {
      validatePlan(plan);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PlanValidationError);
    const e = err as PlanValidationError;
    expect(e.code).toBe("PLAN_INVALID");
    expect(e.issues).toContainEqual({
      path: "tasks[0].action_config.query",
      message: expect.stringContaining("{{name}} is inside the SQL text of query: parameters are always bound, never spliced into the SQL"),
    });
    expect(e.message).toContain("Put the value in params and write $1, $2");
  });
});
