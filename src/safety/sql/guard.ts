import type { WorkflowError } from "../../model/errors.js";
import { alwaysRefused } from "./always-refused.js";
import { asFields, describe, type Fields, nodeOf, walk } from "./parse-tree.js";
import { ALLOW_WRITES_ADVICE, refusedByGuard, SqlRule } from "./refusal.js";

export interface SqlGuardOptions {
  /** The run may write (`--allow-writes`, or `allow_writes: true` in the user's plan file). */
  allowWrites: boolean;
}

/** Statements a read-only run may run (VALUES and TABLE parse as SelectStmt). */
const READ_STATEMENTS = new Set(["SelectStmt", "ExplainStmt", "VariableShowStmt"]);

/**
 * Refuse SQL that `db_query` must not run, before anything is sent to the database: text PostgreSQL's
 * own parser (libpg-query) rejects, anything but exactly one statement; always (`always-refused.ts`)
 * transaction and session control, COPY, DO, CALL, dynamic SQL and functions that reach server files,
 * large objects, other sessions or other servers; and statements that can write unless the run may
 * write. The READ ONLY transaction the query then runs in is the backstop for what a parse tree cannot
 * show (`nextval()`, functions that write).
 */
export async function checkSql(query: string, options: SqlGuardOptions): Promise<void> {
  const statements = await parseStatements(query);
  if (statements.length !== 1) throw notOneStatement(query, statements);
  const [kind, body] = nodeOf(statements[0]);
  const always = await alwaysRefused(kind, body, query, { text: query, depth: 0 });
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

/** What in a statement can write, as a clause; undefined for a plain read. */
function findWrite(kind: string, body: Fields): string | undefined {
  if (!READ_STATEMENTS.has(kind)) return `${describe(kind, body)} can change the database`;
  let found: string | undefined;
  walk(body, (key, value) => {
    if (found) return;
    if (key === "intoClause") found = "SELECT INTO creates a table";
    else if (key === "lockingClause") found = "SELECT ... FOR UPDATE/SHARE locks rows as a write would";
    else if (/^[A-Z]\w*Stmt$/.test(key) && key !== "SelectStmt")
      found = `${describe(key, asFields(value))} inside the query can change the database`;
  });
  return found;
}
