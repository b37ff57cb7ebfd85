import { ErrorCode, WorkflowError } from "../../model/errors.js";

/** The rules `db_query` applies to SQL; each refusal (SQL_REFUSED) names one in `details.rule`. */
export const SqlRule = {
  /** PostgreSQL's parser rejects the text. */
  Syntax: "syntax",
  /** Not exactly one statement. */
  OneStatement: "one-statement",
  /** A statement that can change the database, in a run that may only read. */
  ReadOnly: "read-only",
  /** BEGIN, COMMIT, SET TRANSACTION...: the engine owns the transaction (refused even when writes are allowed). */
  Transaction: "transaction",
  /** SET, LISTEN, PREPARE, set_config()...: state that outlives the query on a pooled connection (always refused). */
  Session: "session",
  /** COPY: server files and programs, and data that cannot come back as rows (always refused). */
  Copy: "copy",
  /** DO, CALL, EXECUTE in a function body, query_to_xml()...: SQL no parse tree shows (always refused). */
  DynamicSql: "dynamic-sql",
  /** Server files, large objects, other sessions, other servers, server configuration (always refused). */
  Server: "server",
} as const;
export type SqlRule = (typeof SqlRule)[keyof typeof SqlRule];

/** What to do to let a query write; a plan an LLM wrote cannot allow it. */
export const ALLOW_WRITES_ADVICE =
  "To let db_query write, set allowWrites: true, or allow_writes: true in your plan file " +
  "(allow_writes in a plan a planner produced is ignored).";

const SHOWN_QUERY_CHARS = 300;

/** The query as shown in messages and details: long ones are cut. */
function shownQuery(query: string): string {
  return query.length > SHOWN_QUERY_CHARS ? `${query.slice(0, SHOWN_QUERY_CHARS)}…` : query;
}

/** A query the guard refused before anything was sent to the database. */
export function refusedByGuard(rule: SqlRule, query: string, reason: string, details: Record<string, unknown> = {}): WorkflowError {
  const shown = shownQuery(query);
  return new WorkflowError(
    ErrorCode.SqlRefused,
    `The SQL query was refused (rule "${rule}"): ${reason} Nothing was sent to the database.\nQuery: ${shown}`,
    { details: { rule, query: shown, ...details } },
  );
}

/**
 * A query PostgreSQL itself refused inside the engine's transaction: the READ ONLY backstop (SQLSTATE
 * 25006) or a change of the transaction's mode (25001). The transaction was rolled back.
 */
export function refusedByServer(sqlstate: "25006" | "25001", serverMessage: string, query: string, cause: unknown): WorkflowError {
  const shown = shownQuery(query);
  const rule = sqlstate === "25006" ? SqlRule.ReadOnly : SqlRule.Transaction;
  const advice =
    rule === SqlRule.ReadOnly
      ? `it tried to change the database in the READ ONLY transaction this run's queries use. ${ALLOW_WRITES_ADVICE}`
      : "it tried to change the transaction, which the engine owns: each db_query runs alone in its own transaction. Remove that part of the query.";
  return new WorkflowError(
    ErrorCode.SqlRefused,
    `The SQL query was refused by the database (rule "${rule}"): ${serverMessage} (SQLSTATE ${sqlstate}); ${advice} ` +
      `The transaction was rolled back.\nQuery: ${shown}`,
    { cause, details: { rule, query: shown, sqlstate } },
  );
}

/** More rows than `limits.maxRows`: the query failed, and its transaction was rolled back. */
export function rowLimitExceeded(maxRows: number, query: string): WorkflowError {
  const shown = shownQuery(query);
  return new WorkflowError(
    ErrorCode.RowLimit,
    `The SQL query returned more than ${maxRows} rows, the limit of one query (limits.maxRows); ` +
      `nothing was returned and its transaction was rolled back. Add a LIMIT (or a narrower WHERE) to the query, ` +
      `or raise limits.maxRows.\nQuery: ${shown}`,
    { details: { limit: "maxRows", max_rows: maxRows, query: shown } },
  );
}

/** The query ran past its statement_timeout (`limits.statementTimeoutSeconds`) and was stopped. */
export function statementTimedOut(timeoutMs: number, query: string, cause?: unknown): WorkflowError {
  const shown = shownQuery(query);
  const seconds = timeoutMs / 1000;
  return new WorkflowError(
    ErrorCode.Database,
    `The SQL query ran longer than its statement timeout of ${seconds} s and was stopped; ` +
      `its transaction was rolled back. Make the query cheaper (an index, a LIMIT, a narrower WHERE), ` +
      `or raise limits.statementTimeoutSeconds.\nQuery: ${shown}`,
    { cause, details: { sqlstate: "57014", limit: "statementTimeoutSeconds", timeout_seconds: seconds, query: shown } },
  );
}
