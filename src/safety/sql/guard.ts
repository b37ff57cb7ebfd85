import type { WorkflowError } from "../../model/errors.js";
import { ALLOW_WRITES_ADVICE, refusedByGuard, SqlRule } from "./refusal.js";

export interface SqlGuardOptions {
  /** The run may write (`--allow-writes`, or `allow_writes: true` in the user's plan file). */
  allowWrites: boolean;
}

/** A parse-tree node as libpg-query returns it: `{ NodeType: { ...fields } }`. */
type Fields = Record<string, unknown>;

/** Statements a read-only run may run (VALUES and TABLE parse as SelectStmt). */
const READ_STATEMENTS = new Set(["SelectStmt", "ExplainStmt", "VariableShowStmt"]);
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
/**
 * Functions whose effect outlives the transaction, which READ ONLY does not stop: session settings
 * (search_path, statement_timeout...) and session-level advisory locks stay on the pooled connection.
 */
const SESSION_FUNCTIONS = new Set(["set_config", "pg_advisory_lock", "pg_advisory_lock_shared", "pg_try_advisory_lock", "pg_try_advisory_lock_shared"]);
/** SQL words for statement nodes whose name does not read as SQL. */
const STATEMENT_WORDS: Record<string, string> = {
  CreateStmt: "CREATE TABLE",
  IndexStmt: "CREATE INDEX",
  ViewStmt: "CREATE VIEW",
  CreateTableAsStmt: "CREATE TABLE AS",
  RenameStmt: "ALTER ... RENAME",
  VariableShowStmt: "SHOW",
  DeclareCursorStmt: "DECLARE",
  ClosePortalStmt: "CLOSE",
  CheckPointStmt: "CHECKPOINT",
};

/**
 * Refuse SQL that `db_query` must not run, before anything is sent to the database: text PostgreSQL's
 * own parser (libpg-query) rejects, anything but exactly one statement, transaction control, session
 * changes and COPY (always), and statements that can write unless the run may write. The READ ONLY
 * transaction the query then runs in is the backstop for what a parse tree cannot show (`nextval()`,
 * functions that write).
 */
export async function checkSql(query: string, options: SqlGuardOptions): Promise<void> {
  const statements = await parseStatements(query);
  if (statements.length !== 1) throw notOneStatement(query, statements);
  const [kind, body] = nodeOf(statements[0]);
  const always = alwaysRefused(kind, body, query);
  if (always) throw always;
  if (!options.allowWrites) {
    const write = findWrite(kind, body);
    if (write) {
      throw refusedByGuard(SqlRule.ReadOnly, query, `${write}, and this run may only read. ${ALLOW_WRITES_ADVICE}`);
    }
  }
}

/** The statements of `query`, parsed by PostgreSQL's parser; a parse error is a refusal with its position. */
async function parseStatements(query: string): Promise<unknown[]> {
  if (query.trim() === "") return [];
  const { parse, hasSqlDetails } = await import("libpg-query");
  try {
    const tree = (await parse(query)) as { stmts?: { stmt?: unknown }[] };
    return (tree.stmts ?? []).map((s) => s.stmt);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const position = hasSqlDetails(err) ? (err.sqlDetails?.cursorPosition ?? 0) + 1 : undefined;
    const at = position === undefined ? "" : ` (at character ${position})`;
    throw refusedByGuard(SqlRule.Syntax, query, `PostgreSQL's parser rejects it: ${message}${at}. Fix the SQL.`, {
      parser_message: message,
      ...(position === undefined ? {} : { position }),
    });
  }
}

function notOneStatement(query: string, statements: unknown[]): WorkflowError {
  if (statements.length === 0) {
    return refusedByGuard(SqlRule.OneStatement, query, "it holds no statement (only comments or semicolons). Write one SQL statement.");
  }
  const words = statements.map((s) => describe(...nodeOf(s))).join(", ");
  return refusedByGuard(
    SqlRule.OneStatement,
    query,
    `it holds ${statements.length} statements (${words}), and db_query runs exactly one. ` +
      "Split it into one db_query task per statement, chained with dependencies.",
    { statements: statements.length },
  );
}

/** Refusals that apply whatever the run may do. */
function alwaysRefused(kind: string, body: Fields, query: string): WorkflowError | undefined {
  const what = describe(kind, body);
  if (kind === "TransactionStmt" || (kind === "VariableSetStmt" && ["TRANSACTION", "SESSION CHARACTERISTICS"].includes(String(body.name)))) {
    return refusedByGuard(
      SqlRule.Transaction,
      query,
      `${what} controls the transaction, and the engine owns it: each db_query runs alone in its own transaction ` +
        "(READ ONLY unless writes are allowed, with limits.statementTimeoutSeconds as its statement_timeout). " +
        `Send the statement without it. ${ALLOW_WRITES_ADVICE}`,
    );
  }
  if (SESSION_STATEMENTS.has(kind)) return sessionRefusal(what, query);
  const fn = findSessionFunction(body);
  if (fn) return sessionRefusal(`${fn}()`, query);
  if (kind === "CopyStmt") {
    return refusedByGuard(
      SqlRule.Copy,
      query,
      "COPY reads or writes files or runs programs on the database server, and its data cannot come back as rows. " +
        "Read rows with SELECT; copy rows between tables with INSERT ... SELECT (with writes allowed).",
    );
  }
  return undefined;
}

function sessionRefusal(what: string, query: string): WorkflowError {
  return refusedByGuard(
    SqlRule.Session,
    query,
    `${what} changes the database session, which outlives the query: connections are pooled and shared with other tasks. ` +
      "Keep the query to one self-contained statement; settings belong in the database or role configuration (ALTER ROLE ... SET).",
  );
}

/** What in a statement can write, as a clause; undefined for a plain read. */
function findWrite(kind: string, body: Fields): string | undefined {
  if (!READ_STATEMENTS.has(kind)) return `${describe(kind, body)} can change the database`;
  let found: string | undefined;
  walk(body, (key, value) => {
    if (found) return;
    if (key === "intoClause") found = "SELECT INTO creates a table";
    else if (key === "lockingClause") found = "SELECT ... FOR UPDATE/SHARE locks rows as a write would";
    else if (/^[A-Z]\w*Stmt$/.test(key) && key !== "SelectStmt") found = `${describe(key, asFields(value))} inside the query can change the database`;
  });
  return found;
}

/** The first function call in the tree whose effect outlives the transaction. */
function findSessionFunction(body: Fields): string | undefined {
  let found: string | undefined;
  walk(body, (key, value) => {
    if (found || key !== "FuncCall") return;
    const names = asFields(value).funcname;
    const last = Array.isArray(names) ? asFields(asFields(names[names.length - 1]).String).sval : undefined;
    if (typeof last === "string" && SESSION_FUNCTIONS.has(last.toLowerCase())) found = last;
  });
  return found;
}

/** Visit every object key (with a value that is set) in a parse tree, depth first. */
function walk(value: unknown, visit: (key: string, value: unknown) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, visit);
  } else if (value !== null && typeof value === "object") {
    for (const [key, child] of Object.entries(value)) {
      if (child === undefined || child === null) continue;
      visit(key, child);
      walk(child, visit);
    }
  }
}

function nodeOf(node: unknown): [string, Fields] {
  const entry = Object.entries(asFields(node))[0];
  return entry ? [entry[0], asFields(entry[1])] : ["unknown statement", {}];
}

function asFields(value: unknown): Fields {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Fields) : {};
}

/** A statement node in SQL words: `DeleteStmt` is DELETE, `TransactionStmt` BEGIN or COMMIT... */
function describe(kind: string, body: Fields): string {
  if (kind === "TransactionStmt") {
    const word = String(body.kind ?? "").replace(/^TRANS_STMT_/, "").replace(/_/g, " ");
    return word === "PREPARE" ? "PREPARE TRANSACTION" : word === "START" ? "START TRANSACTION" : word;
  }
  if (kind === "VariableSetStmt") {
    if (String(body.kind).startsWith("VAR_RESET")) return "RESET";
    return body.name === "TRANSACTION" || body.name === "SESSION CHARACTERISTICS" ? `SET ${String(body.name)}` : "SET";
  }
  if (kind === "GrantStmt") return body.is_grant ? "GRANT" : "REVOKE";
  return (
    STATEMENT_WORDS[kind] ??
    kind
      .replace(/Stmt$/, "")
      .replace(/([a-z])([A-Z])/g, "$1 $2")
      .toUpperCase()
  );
}
