import { describe, expect, it } from "vitest";
import { checkSql } from "../../../../src/safety/sql/guard.js";
import { failure } from "../../../fixtures/errors.js";

const WRITES = { allowWrites: true };
const READ_ONLY = { allowWrites: false };

/** [what, SQL, rule, words the message must hold]: refused even in a run that may write. */
const REFUSED: [string, string, string, string][] = [
  // DO and CALL: code no parse tree shows.
  [
    "DO with EXECUTE of a COPY to a server file",
    "DO $$ BEGIN EXECUTE 'COPY (SELECT 1) TO ''/tmp/x'''; END $$",
    "dynamic-sql",
    "DO runs a procedural block",
  ],
  [
    "DO changing the pooled session",
    "DO $$ BEGIN PERFORM set_config('application_name', 'evil', false); END $$",
    "dynamic-sql",
    "DO runs a procedural block",
  ],
  ["DO with a language", "DO LANGUAGE plpgsql $x$ BEGIN NULL; END $x$", "dynamic-sql", "DO runs a procedural block"],
  ["an empty DO", "do 'begin null; end'", "dynamic-sql", "DO runs"],
  ["CALL of a qualified procedure", 'CALL "public"."p"(1)', "dynamic-sql", "CALL runs a procedure"],
  // Functions that run SQL text.
  ["query_to_xml", "SELECT query_to_xml('COPY t TO ''/tmp/x''', true, false, '')", "dynamic-sql", "query_to_xml() runs SQL text"],
  [
    "query_to_xml in pg_catalog, in a subquery",
    "SELECT * FROM t WHERE a IN (SELECT pg_catalog.query_to_xml('select 1', true, true, '')::text)",
    "dynamic-sql",
    "query_to_xml()",
  ],
  ["ts_stat", "SELECT * FROM ts_stat('SELECT vector FROM docs')", "dynamic-sql", "ts_stat()"],
  ["ts_rewrite with a query", "SELECT ts_rewrite('a & b'::tsquery, 'SELECT t, s FROM aliases')", "dynamic-sql", "ts_rewrite()"],
  // Server files.
  ["pg_read_file", "SELECT pg_read_file('/etc/passwd')", "server", "pg_read_file() reads, lists or writes files on the database server"],
  [
    "pg_read_binary_file in a CTE",
    "WITH f AS (SELECT pg_read_binary_file('postgresql.conf') AS b) SELECT length(b) FROM f",
    "server",
    "pg_read_binary_file()",
  ],
  ["pg_ls_dir as a table", "SELECT * FROM pg_ls_dir('.') AS d(name)", "server", "pg_ls_dir()"],
  ["pg_ls_waldir in ROWS FROM", "SELECT * FROM ROWS FROM (pg_ls_waldir())", "server", "pg_ls_waldir()"],
  [
    "pg_stat_file in a function argument",
    "SELECT coalesce(upper((pg_stat_file('pg_hba.conf')).size::text), 'x')",
    "server",
    "pg_stat_file()",
  ],
  ["pg_read_file in a cast", "SELECT CAST(pg_read_file('PG_VERSION') AS int)", "server", "pg_read_file()"],
  ["pg_read_file in a :: cast in ORDER BY", "SELECT a FROM t ORDER BY pg_read_file('x')::text", "server", "pg_read_file()"],
  ["quoted, schema-qualified pg_read_file", 'SELECT "pg_catalog"."pg_read_file"(\'x\')', "server", "pg_read_file()"],
  ["upper-case unquoted PG_READ_FILE", "SELECT PG_READ_FILE('x')", "server", "pg_read_file()"],
  ["pg_read_file in a lateral join", "SELECT * FROM t, LATERAL (SELECT pg_read_file(t.path)) f", "server", "pg_read_file()"],
  [
    "pg_read_file in a CASE in a HAVING",
    "SELECT count(*) FROM t HAVING CASE WHEN true THEN length(pg_read_file('x')) END > 0",
    "server",
    "pg_read_file()",
  ],
  ["pg_read_file in a column default", "CREATE TABLE x (a text DEFAULT pg_read_file('/etc/passwd'))", "server", "pg_read_file()"],
  ["pg_read_file in a view", "CREATE VIEW v AS SELECT pg_read_file('/etc/passwd')", "server", "pg_read_file()"],
  ["pg_read_file in an INSERT ... SELECT", "INSERT INTO t (a) SELECT pg_read_file('/etc/passwd')", "server", "pg_read_file()"],
  ["pg_read_file in an UPDATE's RETURNING", "UPDATE t SET a = 1 RETURNING pg_read_file('x')", "server", "pg_read_file()"],
  ["pg_read_file in EXPLAIN ANALYZE", "EXPLAIN ANALYZE SELECT pg_read_file('x')", "server", "pg_read_file()"],
  ["pg_file_write (adminpack)", "SELECT pg_file_write('x', 'y', false)", "server", "pg_file_write()"],
  // Large objects.
  ["lo_import", "SELECT lo_import('/etc/passwd')", "server", "lo_import() reads or writes large objects"],
  ["lo_export", "SELECT lo_export(12345, '/tmp/owned')", "server", "lo_export()"],
  ["lo_from_bytea", "SELECT lo_from_bytea(0, 'x')", "server", "lo_from_bytea()"],
  ["loread", "SELECT loread(lo_open(1, 262144), 10)", "server", "lo"],
  // Other servers.
  ["dblink", "SELECT * FROM dblink('host=10.0.0.1', 'SELECT 1') AS x(a int)", "server", "dblink() connects to another database server"],
  ["dblink_exec", "SELECT public.dblink_exec('dbname=x', 'DROP TABLE t')", "server", "dblink_exec()"],
  ["dblink_connect in a WHERE", "SELECT 1 WHERE dblink_connect('c', 'host=x') = 'OK'", "server", "dblink_connect()"],
  // Other sessions and the server's state.
  [
    "pg_terminate_backend",
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity",
    "server",
    "pg_terminate_backend() signals other sessions",
  ],
  ["pg_cancel_backend in a subquery", "SELECT (SELECT pg_cancel_backend(1))", "server", "pg_cancel_backend()"],
  ["pg_reload_conf", "SELECT pg_reload_conf()", "server", "pg_reload_conf() changes the database server's configuration"],
  ["pg_rotate_logfile", "SELECT pg_catalog.pg_rotate_logfile()", "server", "pg_rotate_logfile()"],
  // The session.
  [
    "set_config with is_local false",
    "SELECT set_config('application_name', 'evil', false)",
    "session",
    "set_config() changes a setting of the database session",
  ],
  ["set_config with a computed is_local", "SELECT set_config('search_path', 'x', 1 = 2)", "session", "set_config()"],
  ["set_config in a CTE", "WITH s AS (SELECT set_config('role', 'postgres', false)) SELECT * FROM s", "session", "set_config()"],
  ["quoted set_config in a function argument", "SELECT length(\"set_config\"('a.b', 'c', false))", "session", "set_config()"],
  ["set_config in an INSERT's VALUES", "INSERT INTO t (a) VALUES (pg_catalog.set_config('a.b', 'c', false))", "session", "set_config()"],
  [
    "a session advisory lock",
    "SELECT pg_try_advisory_lock(1)",
    "session",
    "pg_try_advisory_lock() takes or drops a session-level advisory lock",
  ],
  ["a session advisory lock, shared", "SELECT pg_advisory_lock_shared(1, 2)", "session", "pg_advisory_lock_shared()"],
  ["unlock all", "SELECT pg_advisory_unlock_all()", "session", "pg_advisory_unlock_all()"],
  ["setseed", "SELECT setseed(0.5)", "session", "setseed()"],
  // Functions referenced where PostgreSQL calls them later.
  ["CREATE OPERATOR over pg_read_file", "CREATE OPERATOR ### (RIGHTARG = text, FUNCTION = pg_read_file)", "server", "pg_read_file()"],
  ["CREATE CAST with lo_import", "CREATE CAST (int AS text) WITH FUNCTION pg_catalog.lo_import(text)", "server", "lo_import()"],
  ["GRANT EXECUTE on pg_read_file", "GRANT EXECUTE ON FUNCTION pg_read_file(text) TO public", "server", "pg_read_file()"],
  // Function bodies.
  [
    "a PL/pgSQL function with EXECUTE",
    "CREATE FUNCTION f(p text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'COPY t TO ' || quote_literal(p); END $$",
    "dynamic-sql",
    "CREATE FUNCTION's PL/pgSQL body uses EXECUTE",
  ],
  [
    "a PL/pgSQL procedure with EXECUTE",
    "CREATE PROCEDURE p() LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'SELECT 1'; END $$",
    "dynamic-sql",
    "CREATE PROCEDURE's PL/pgSQL body uses EXECUTE",
  ],
  [
    "FOR ... IN EXECUTE",
    "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ DECLARE r record; BEGIN FOR r IN EXECUTE 'select 1' LOOP END LOOP; RETURN 1; END $$",
    "dynamic-sql",
    "uses EXECUTE",
  ],
  [
    "RETURN QUERY EXECUTE",
    "CREATE FUNCTION f() RETURNS SETOF int LANGUAGE plpgsql AS $$ BEGIN RETURN QUERY EXECUTE 'select 1'; END $$",
    "dynamic-sql",
    "uses EXECUTE",
  ],
  [
    "OPEN ... FOR EXECUTE",
    "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ DECLARE c refcursor; BEGIN OPEN c FOR EXECUTE 'select 1'; END $$",
    "dynamic-sql",
    "uses EXECUTE",
  ],
  [
    "a PL/pgSQL body with a static COPY",
    "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN COPY t TO '/tmp/x'; END $$",
    "copy",
    "COPY in CREATE FUNCTION's body",
  ],
  [
    "a PL/pgSQL body with PERFORM set_config",
    "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM set_config('a.b', 'c', false); END $$",
    "session",
    "set_config() in CREATE FUNCTION's body",
  ],
  [
    "a PL/pgSQL assignment from pg_read_file",
    "CREATE FUNCTION f() RETURNS text LANGUAGE plpgsql AS $$ DECLARE x text; BEGIN x := pg_read_file('/etc/passwd'); RETURN x; END $$",
    "server",
    "pg_read_file() in CREATE FUNCTION's body",
  ],
  [
    "a PL/pgSQL declaration default from lo_import",
    "CREATE FUNCTION f() RETURNS oid LANGUAGE plpgsql AS $$ DECLARE x oid := lo_import('/etc/passwd'); BEGIN RETURN x; END $$",
    "server",
    "lo_import()",
  ],
  [
    "a PL/pgSQL IF on dblink",
    "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN IF dblink_connect('x') = 'OK' THEN NULL; END IF; END $$",
    "server",
    "dblink_connect()",
  ],
  [
    "a PL/pgSQL body with SET",
    "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN SET search_path = evil; END $$",
    "session",
    "SET in CREATE FUNCTION's body changes the database session",
  ],
  ["a PL/pgSQL procedure with COMMIT", "CREATE PROCEDURE p() LANGUAGE plpgsql AS $$ BEGIN COMMIT; END $$", "transaction", "runs COMMIT"],
  [
    "a PL/pgSQL body with a nested DO",
    "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN DO $d$ BEGIN NULL; END $d$; END $$",
    "dynamic-sql",
    "DO in CREATE FUNCTION's body",
  ],
  [
    "a SQL function reading a server file",
    "CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$ SELECT pg_read_file('/etc/passwd') $$",
    "server",
    "pg_read_file() in CREATE FUNCTION's body",
  ],
  [
    "a SQL function with two statements, one dangerous",
    "CREATE FUNCTION f() RETURNS void LANGUAGE sql AS 'SELECT 1; SELECT set_config(''a.b'', ''c'', false)'",
    "session",
    "set_config()",
  ],
  [
    "a BEGIN ATOMIC body",
    "CREATE FUNCTION f() RETURNS text LANGUAGE sql BEGIN ATOMIC SELECT pg_read_file('x'); END",
    "server",
    "pg_read_file()",
  ],
  ["a RETURN body", "CREATE FUNCTION f() RETURNS text LANGUAGE sql RETURN pg_catalog.pg_read_file('x')", "server", "pg_read_file()"],
  [
    "a C function",
    "CREATE FUNCTION f() RETURNS int LANGUAGE c AS '/tmp/evil.so', 'f'",
    "dynamic-sql",
    "CREATE FUNCTION in LANGUAGE c runs code the SQL guard cannot read",
  ],
  [
    "an internal function aliasing pg_read_file",
    "CREATE FUNCTION r(text) RETURNS text LANGUAGE internal AS 'pg_read_file_all'",
    "dynamic-sql",
    "LANGUAGE internal",
  ],
  ["an untrusted language", "CREATE FUNCTION f() RETURNS int LANGUAGE plpython3u AS 'import os'", "dynamic-sql", "LANGUAGE plpython3u"],
  [
    "a PL/pgSQL body that does not parse",
    "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS 'BEGIN garbage garbage; END'",
    "dynamic-sql",
    "cannot be parsed",
  ],
  // Statements that reach server files, code or other servers.
  [
    "ALTER SYSTEM",
    "ALTER SYSTEM SET archive_command = 'curl evil'",
    "server",
    "ALTER SYSTEM writes the database server's configuration file",
  ],
  ["CREATE EXTENSION", "CREATE EXTENSION dblink", "server", "CREATE EXTENSION loads code"],
  [
    "CREATE SERVER",
    "CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '10.0.0.1')",
    "server",
    "CREATE SERVER sets up a connection to another server",
  ],
  ["CREATE TABLESPACE", "CREATE TABLESPACE ts LOCATION '/tmp/ts'", "server", "CREATE TABLESPACE"],
  ["CREATE SUBSCRIPTION", "CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p", "server", "logical replication"],
];

describe("checkSql refuses, even when writes are allowed", () => {
  it.each(REFUSED)("%s", async (_what, sql, rule, words) => {
    for (const options of [WRITES, READ_ONLY]) {
      const err = await failure(checkSql(sql, options));
      expect(err).toMatchObject({ code: "SQL_REFUSED", retryable: false, details: { rule, query: sql } });
      expect(err.message).toContain(`rule "${rule}"`);
      expect(err.message).toContain(words);
      expect(err.message).toContain("Nothing was sent to the database");
    }
  });

  it("names the construct in the details", async () => {
    const err = await failure(checkSql("SELECT x FROM (SELECT lo_export(1, '/tmp/x') AS x) s", WRITES));
    expect(err.details).toMatchObject({ rule: "server", construct: "lo_export()" });
    expect(err.message).toContain("db_query never does that, even when writes are allowed");
  });

  it("refuses function bodies nested past the depth it reads", async () => {
    let sql = "SELECT 1";
    for (let i = 0; i < 10; i++) sql = `CREATE FUNCTION f${i}() RETURNS void LANGUAGE sql AS ${dollar(i)}${sql}${dollar(i)}`;
    const err = await failure(checkSql(sql, WRITES));
    expect(err.details).toMatchObject({ rule: "dynamic-sql" });
    expect(err.message).toContain("nests function bodies more than 8 deep");
  });
});

/** What a run that may write still runs: look-alikes of the refused functions, and function bodies the guard can read. */
const ALLOWED_WITH_WRITES = [
  "SELECT pg_advisory_xact_lock(1)",
  "SELECT pg_try_advisory_xact_lock(1, 2)",
  "SELECT lower(name) AS lo_name FROM t",
  "SELECT lo_price FROM t",
  "SELECT t.pg_read_file FROM t",
  "SELECT ts_rewrite('a & b'::tsquery, 'a'::tsquery, 'c'::tsquery)",
  "SELECT current_setting('work_mem')",
  "CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql AS 'SELECT a + b'",
  "CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql IMMUTABLE RETURN a + b",
  "CREATE FUNCTION f(p int) RETURNS int LANGUAGE plpgsql AS $$ DECLARE x int := p * 2; BEGIN x := x + 1; IF x > 3 THEN RETURN x; END IF; INSERT INTO t (a) VALUES (x); RETURN (SELECT count(*) FROM t); END $$",
  "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql SET search_path = public AS $$ BEGIN RETURN 1; END $$",
  "CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION audit()",
];

describe("checkSql lets a run that may write", () => {
  it.each(ALLOWED_WITH_WRITES)("run %s", async (sql) => {
    await expect(checkSql(sql, WRITES)).resolves.toBeUndefined();
  });
});

function dollar(i: number): string {
  return `$q${i}$`;
}
