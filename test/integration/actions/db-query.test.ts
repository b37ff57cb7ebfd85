import { randomBytes } from "node:crypto";
import { stat } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbQuery, toDbError } from "../../../src/actions/db-query/run.js";
import type { DbQueryConfig } from "../../../src/model/action-config/db-query.js";
import type { SqlClient } from "../../../src/actions/types.js";
import { createSqlClient } from "../../../src/actions/db-query/sql-client.js";
import { silentLogger } from "../../../utils/logger.js";
import { makeContext, makeTempDir, SQL_SETUP } from "../../fixtures/context.js";
import { failure } from "../../fixtures/errors.js";

const DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

interface Backend {
  sql: SqlClient;
  /** Qualified name of this run's table. */
  table: string;
  cleanup(): Promise<void>;
}

/** PostgreSQL: a unique schema per run, dropped afterwards. */
async function postgresBackend(): Promise<Backend> {
  const { dir, cleanup } = await makeTempDir();
  const sql = await createSqlClient({ databaseUrl: DATABASE_URL, stateDir: dir, logger: silentLogger() });
  const schema = `wf_test_${randomBytes(6).toString("hex")}`;
  const never = new AbortController().signal;
  await sql.query(`CREATE SCHEMA ${schema}`, [], never, SQL_SETUP);
  return {
    sql,
    table: `${schema}.items`,
    async cleanup() {
      await sql.query(`DROP SCHEMA ${schema} CASCADE`, [], never, SQL_SETUP);
      await sql.close();
      await cleanup();
    },
  };
}

/** PGlite in a temp state folder. */
async function pgliteBackend(): Promise<Backend> {
  const { dir, cleanup } = await makeTempDir();
  const sql = await createSqlClient({ stateDir: dir, logger: silentLogger() });
  expect((await stat(path.join(dir, "pglite"))).isDirectory()).toBe(true);
  return {
    sql,
    table: "items",
    async cleanup() {
      await sql.close();
      await cleanup();
    },
  };
}

describe.each([
  ["postgres", postgresBackend],
  ["pglite", pgliteBackend],
] as const)("db_query on %s", (kind, open) => {
  let backend: Backend;
  let ctx: ReturnType<typeof makeContext>;
  const run = (query: string, params: unknown[] = [], c = ctx) => dbQuery.run(dbQuery.schema.parse({ query, params }) as DbQueryConfig, c);

  beforeAll(async () => {
    backend = await open();
    ctx = makeContext({ sql: backend.sql });
    await run(`CREATE TABLE ${backend.table} (id serial PRIMARY KEY, name text UNIQUE NOT NULL, score int)`);
  }, 60_000);
  afterAll(async () => {
    await backend?.cleanup();
  }, 30_000);

  it("reports its kind", () => {
    expect(backend.sql.kind).toBe(kind);
  });

  it("inserts and selects with bound parameters", async () => {
    const inserted = await run(`INSERT INTO ${backend.table} (name, score) VALUES ($1, $2), ($3, $4) RETURNING name`, [
      "ada",
      3,
      "brian",
      5,
    ]);
    expect(inserted).toEqual({ rows: [{ name: "ada" }, { name: "brian" }], row_count: 2 });
    const selected = await run(`SELECT name, score FROM ${backend.table} WHERE score > $1 ORDER BY name`, [4]);
    expect(selected).toEqual({ rows: [{ name: "brian", score: 5 }], row_count: 1 });
    const updated = await run(`UPDATE ${backend.table} SET score = score + 1`);
    expect(updated).toEqual({ rows: [], row_count: 2 });
  });

  it("returns rows as plain JSON: dates as ISO text, bytea as base64", async () => {
    const r = await run("SELECT $1::timestamptz AS at, decode('68690a', 'hex') AS bytes, 7::int8 AS big", ["2026-01-02T03:04:05Z"]);
    expect(r.rows).toEqual([{ at: "2026-01-02T03:04:05.000Z", bytes: "aGkK", big: "7" }]);
  });

  it("never splices parameters into the SQL", async () => {
    const evil = `x'); DROP TABLE ${backend.table}; --`;
    await run(`INSERT INTO ${backend.table} (name) VALUES ($1)`, [evil]);
    const back = await run(`SELECT name FROM ${backend.table} WHERE name = $1`, [evil]);
    expect(back.rows).toEqual([{ name: evil }]);
  });

  it("refuses a syntax error with PostgreSQL's parser message before sending it (SQL_REFUSED), not retryable", async () => {
    const err = await failure(run("SELEC 1"));
    expect(err).toMatchObject({ code: "SQL_REFUSED", retryable: false, details: { rule: "syntax", position: 1 } });
    expect(err.message).toContain('syntax error at or near "SELEC"');
  });

  it("reports an error the server raises as DB_ERROR with the SQLSTATE, not retryable", async () => {
    const err = await failure(run("SELECT 1 / $1::int AS x", [0]));
    expect(err).toMatchObject({ code: "DB_ERROR", retryable: false });
    expect(err.message).toContain("division by zero");
    expect(err.message).toContain("22012");
  });

  it("reports a unique violation (23505) as not retryable", async () => {
    await run(`INSERT INTO ${backend.table} (name) VALUES ($1)`, ["dup"]);
    const err = await failure(run(`INSERT INTO ${backend.table} (name) VALUES ($1)`, ["dup"]));
    expect(err).toMatchObject({ code: "DB_ERROR", retryable: false });
    expect(err.message).toContain("23505");
  });

  it("caps the result's bytes while reading it (RESULT_TOO_LARGE, rolled back), and reads what fits", async () => {
    const small = { ...ctx, safety: { ...ctx.safety, limits: { ...ctx.safety.limits, maxResultBytes: 50_000 } } };
    const err = await failure(run("SELECT g, repeat('x', 2000) AS pad FROM generate_series(1, 100) g", [], small));
    expect(err).toMatchObject({ code: "RESULT_TOO_LARGE", retryable: false, details: { limit: 50_000, setting: "limits.maxResultBytes" } });
    expect(err.message).toContain("limits.maxResultBytes");
    expect((err.details.total_bytes as number) > 50_000 && (err.details.total_bytes as number) < 60_000).toBe(true);
    const fits = await run("SELECT g, repeat('x', 2000) AS pad FROM generate_series(1, 10) g", [], small);
    expect(fits.row_count).toBe(10);
  });

  it("refuses one value over the cap by its size, naming the row's bytes", async () => {
    const small = { ...ctx, safety: { ...ctx.safety, limits: { ...ctx.safety.limits, maxResultBytes: 1024 * 1024 } } };
    const err = await failure(run("SELECT repeat('x', 5000000) AS big", [], small));
    expect(err).toMatchObject({ code: "RESULT_TOO_LARGE" });
    expect(err.details.row_bytes as number).toBeGreaterThan(5_000_000);
    expect(err.message).toContain("one row alone is");
    // The client (and on PostgreSQL the pool, with a fresh connection) keeps working.
    expect((await run("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
  });

  it("resets the session after each query: a temporary table or a setting one query leaves is gone for the next", async () => {
    const never = new AbortController().signal;
    const setup = { ...SQL_SETUP, maxResultBytes: 1024 * 1024 };
    // Through the client, past the SQL guard (which refuses set_config with session scope).
    await backend.sql.query("SELECT set_config('wfe.leak', 'from-the-first-task', false)", [], never, setup);
    await backend.sql.query("CREATE TEMP TABLE wfe_leak AS SELECT 1 AS x", [], never, setup);
    const seen = await backend.sql.query(
      "SELECT current_setting('wfe.leak', true) AS setting, to_regclass('pg_temp.wfe_leak') AS temp_table",
      [],
      never,
      setup,
    );
    // A reset custom setting reads as empty (null on a connection that never had it); never the first task's value.
    expect(seen.rows).toEqual([{ setting: expect.toBeOneOf(["", null]), temp_table: null }]);
  });

  it("rejects at once when the signal is already aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    const err = await failure(run("SELECT 1", [], makeContext({ sql: backend.sql, signal: controller.signal })));
    expect(err.code).toBe("CANCELLED");
  });
});

describe("db_query on postgres: cancellation and connection errors", () => {
  let sql: SqlClient;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const temp = await makeTempDir();
    cleanup = temp.cleanup;
    sql = await createSqlClient({ databaseUrl: DATABASE_URL, stateDir: temp.dir, logger: silentLogger() });
  });
  afterAll(async () => {
    await sql.close();
    await cleanup();
  });

  it("cancels a running query promptly, on the server too, and the pool keeps working", async () => {
    const marker = `wf_cancel_${randomBytes(4).toString("hex")}`;
    const controller = new AbortController();
    const ctx = makeContext({ sql, signal: controller.signal });
    const started = Date.now();
    setTimeout(() => controller.abort(), 200);
    const query = `SELECT pg_sleep(10) AS ${marker}`;
    const err = await failure(dbQuery.run({ query, params: [] }, ctx));
    expect(err.code).toBe("CANCELLED");
    expect(Date.now() - started).toBeLessThan(1500);
    const never = new AbortController().signal;
    let active = 1;
    for (let i = 0; i < 20 && active > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const res = await sql.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE $1 AND state = 'active' AND pid <> pg_backend_pid()",
        [`%${marker}%`],
        never,
        SQL_SETUP,
      );
      active = (res.rows[0] as { n: number }).n;
    }
    expect(active).toBe(0);
    expect((await sql.query("SELECT 1 AS one", [], never, SQL_SETUP)).rows).toEqual([{ one: 1 }]);
  });

  it("reports a refused connection as DB_ERROR, retryable", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const temp = await makeTempDir();
    const url = `postgres://postgres@127.0.0.1:${port}/test`;
    const down = await createSqlClient({ databaseUrl: url, stateDir: temp.dir, logger: silentLogger() });
    try {
      const err = await failure(dbQuery.run({ query: "SELECT 1", params: [] }, makeContext({ sql: down })));
      expect(err).toMatchObject({ code: "DB_ERROR", retryable: true });
      expect(err.message).toContain("ECONNREFUSED");
    } finally {
      await down.close();
      await temp.cleanup();
    }
  });
});

describe("toDbError", () => {
  const cases: [unknown, boolean][] = [
    [{ code: "40001", message: "could not serialize access" }, true],
    [{ code: "40P01", message: "deadlock detected" }, true],
    [{ code: "57P01", message: "terminating connection due to administrator command" }, true],
    [{ code: "08006", message: "connection failure" }, true],
    [Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }), true],
    [new Error("Connection terminated unexpectedly"), true],
    [{ code: "42601", message: 'syntax error at or near "SELEC"' }, false],
    [{ code: "42P01", message: 'relation "nope" does not exist' }, false],
    [{ code: "23505", message: "duplicate key value violates unique constraint" }, false],
  ];
  it.each(cases)("classifies %o (retryable: %s)", (error, retryable) => {
    const err = toDbError(error, "SELECT 1");
    expect(err).toMatchObject({ code: "DB_ERROR", retryable });
    const code = (error as { code?: string }).code;
    if (code) expect(err.message).toContain(code);
  });
});
