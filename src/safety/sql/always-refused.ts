import type { WorkflowError } from "../../model/errors.js";
import { asFields, describe, type Fields, walk } from "./parse-tree.js";
import { ALLOW_WRITES_ADVICE, refusedByGuard, SqlRule } from "./refusal.js";
import { findRiskyFunction, type RiskyFunction } from "./risky-functions.js";
import { checkRoutine, type StatementPlace } from "./routine-body.js";

/** Statements that leave state on the connection after the query: pooled connections are shared. */
const SESSION_STATEMENTS = new Set([
  "VariableSetStmt",
  "DiscardStmt",
  "ListenStmt",
  "UnlistenStmt",
  "PrepareStmt",
  "ExecuteStmt",
  "DeallocateStmt",
  "DeclareCursorStmt",
  "FetchStmt",
  "ClosePortalStmt",
  "LoadStmt",
]);
/** Statements that run code no parse tree shows. */
const DYNAMIC_STATEMENTS: Record<string, string> = {
  DoStmt:
    "runs a procedural block whose EXECUTE can run any SQL text built at run time (COPY to a server file, " +
    "set_config() on the pooled session...), which no parse tree shows",
  CallStmt: "runs a procedure whose body the guard does not see, and a procedure may COMMIT or ROLLBACK the transaction the engine owns",
};
/** Statements that reach the server's files, its configuration, its code or other servers. */
const SERVER_STATEMENTS: Record<string, string> = {
  AlterSystemStmt: "writes the database server's configuration file (postgresql.auto.conf)",
  CreateTableSpaceStmt: "creates a directory in the database server's file system",
  CreateExtensionStmt: "loads code into the database server (dblink, adminpack, file_fdw...)",
  CreatePLangStmt: "installs a procedural language, code the guard cannot read",
  CreateFdwStmt: "sets up access to other servers or server files (a foreign data wrapper)",
  AlterFdwStmt: "changes access to other servers or server files (a foreign data wrapper)",
  CreateForeignServerStmt: "sets up a connection to another server",
  AlterForeignServerStmt: "changes a connection to another server",
  CreateForeignTableStmt: "maps a table of another server or a server file",
  ImportForeignSchemaStmt: "maps the tables of another server",
  CreateUserMappingStmt: "stores credentials for another server",
  AlterUserMappingStmt: "changes credentials for another server",
  CreateSubscriptionStmt: "connects the database to another server (logical replication)",
  AlterSubscriptionStmt: "changes a connection to another server (logical replication)",
};
const STATEMENT_KEY = /^[A-Z]\w*Stmt$/;
const PLAIN_SQL_ADVICE = "Write plain SQL statements, one db_query task each.";

/**
 * Refusals that apply whatever the run may do, to a statement, every statement nested in it, every
 * function it names and the body of a function it creates: transaction and session control, COPY, DO,
 * CALL, dynamic SQL, and what reaches the server's files, large objects, other sessions or other servers.
 */
export async function alwaysRefused(kind: string, body: Fields, query: string, place: StatementPlace): Promise<WorkflowError | undefined> {
  const direct = statementRefusal(kind, body, query, place.within, true);
  if (direct) return direct;
  let nested: WorkflowError | undefined;
  walk(body, (key, value) => {
    // A SET nested in a statement (CREATE FUNCTION ... SET x = y, ALTER ROLE ... SET) is scoped to that object.
    if (!nested && STATEMENT_KEY.test(key)) nested = statementRefusal(key, asFields(value), query, place.within, false);
  });
  if (nested) return nested;
  // Wrapped, so the statement node itself is visited too (CREATE OPERATOR, CREATE TRIGGER name functions at the top).
  const fn = findRiskyFunction({ [kind]: body });
  if (fn) return functionRefusal(fn, query, place.within);
  if (kind === "CreateFunctionStmt") return checkRoutine(body, query, place, alwaysRefused);
  return undefined;
}

function statementRefusal(kind: string, body: Fields, query: string, within: string | undefined, top: boolean): WorkflowError | undefined {
  const what = `${describe(kind, body)}${within ? ` in ${within}` : ""}`;
  if (
    kind === "TransactionStmt" ||
    (kind === "VariableSetStmt" && ["TRANSACTION", "SESSION CHARACTERISTICS"].includes(String(body.name)))
  ) {
    return refusedByGuard(
      SqlRule.Transaction,
      query,
      `${what} controls the transaction, and the engine owns it: each db_query runs alone in its own transaction ` +
        "(READ ONLY unless writes are allowed, with limits.statementTimeoutSeconds as its statement_timeout). " +
        `Send the statement without it. ${ALLOW_WRITES_ADVICE}`,
    );
  }
  if (top && SESSION_STATEMENTS.has(kind)) return sessionRefusal(`${what} changes the database session`, query);
  if (kind === "CopyStmt") {
    return refusedByGuard(
      SqlRule.Copy,
      query,
      `${what} reads or writes files or runs programs on the database server, and its data cannot come back as rows. ` +
        "Read rows with SELECT; copy rows between tables with INSERT ... SELECT (with writes allowed).",
    );
  }
  const dynamic = DYNAMIC_STATEMENTS[kind];
  if (dynamic)
    return refusedByGuard(SqlRule.DynamicSql, query, `${what} ${dynamic}. ${PLAIN_SQL_ADVICE}`, { construct: describe(kind, body) });
  const server = SERVER_STATEMENTS[kind];
  if (server) {
    return refusedByGuard(
      SqlRule.Server,
      query,
      `${what} ${server}, which db_query never does, even when writes are allowed. Ask a database administrator to set it up.`,
      { construct: describe(kind, body) },
    );
  }
  return undefined;
}

function functionRefusal(fn: RiskyFunction, query: string, within: string | undefined): WorkflowError {
  const what = `${fn.name}()${within ? ` in ${within}` : ""}`;
  if (fn.rule === SqlRule.Session) return sessionRefusal(`${what} ${fn.why}`, query, { construct: `${fn.name}()` });
  const advice =
    fn.rule === SqlRule.DynamicSql
      ? "Write the query itself as the db_query statement."
      : "db_query never does that, even when writes are allowed; only the database role's privileges could allow it, and a least-privilege role should not.";
  return refusedByGuard(fn.rule, query, `${what} ${fn.why}. ${advice}`, { construct: `${fn.name}()` });
}

/** `clause` says what changes the session: "SET changes the database session". */
function sessionRefusal(clause: string, query: string, details: Record<string, unknown> = {}): WorkflowError {
  return refusedByGuard(
    SqlRule.Session,
    query,
    `${clause}, which outlives the query: connections are pooled and shared with other tasks. ` +
      "Keep the query to one self-contained statement; settings belong in the database or role configuration (ALTER ROLE ... SET).",
    details,
  );
}
