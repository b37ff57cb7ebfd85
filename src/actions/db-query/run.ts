import { CancelledError, ErrorCode, WorkflowError } from "../../model/errors.js";
import { checkSql } from "../../safety/sql/guard.js";
import { DbQueryConfig, type DbQueryResult } from "../../model/action-config/db-query.js";
import type { ActionHandler } from "../handler.js";

/** SQLSTATEs worth another attempt: serialization failure, deadlock, too many connections, shutdowns. */
const RETRYABLE_SQLSTATES = new Set(["40001", "40P01", "53300", "57P01", "57P02", "57P03"]);
/** Node errors of a connection that could not be made or was lost. */
const CONNECTION_ERRNOS = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EPIPE"]);
/** pg reports some lost or refused connections without any code. */
const CONNECTION_MESSAGES = /connection terminated|timeout exceeded when trying to connect|connection ended/i;

/**
 * `db_query`: one SQL statement with bound `$1` parameters, through the engine's SQL client. The SQL
 * guard checks it first; it then runs in its own transaction, READ ONLY unless the run may write, with
 * the run's statement timeout and row cap.
 */
export const dbQuery = {
  type: "db_query",
  schema: DbQueryConfig,
  async run(config, ctx): Promise<DbQueryResult> {
    if (ctx.signal.aborted) throw new CancelledError("db_query was cancelled");
    const { allowWrites, limits } = ctx.safety;
    // Refused SQL never reaches the database (nor opens it).
    await checkSql(config.query, { allowWrites });
    try {
      const sql = await ctx.resources.sql();
      const result = await sql.query(config.query, config.params, ctx.signal, {
        readOnly: !allowWrites,
        statementTimeoutMs: limits.statementTimeoutSeconds * 1000,
        maxRows: limits.maxRows,
        maxResultBytes: limits.maxResultBytes,
      });
      return { rows: result.rows.map(toJsonValue) as unknown[], row_count: result.rowCount };
    } catch (err) {
      throw toDbError(err, config.query);
    }
  },
} satisfies ActionHandler<typeof DbQueryConfig, DbQueryResult>;

/**
 * Rows become plain JSON, since they land in the run's state and checkpoints: dates as ISO strings,
 * bytea as base64, bigints as strings (as pg already returns int8).
 */
function toJsonValue(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      Object.defineProperty(out, k, { value: toJsonValue(v), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

/** Normalise a driver error into DB_ERROR with PostgreSQL's message and SQLSTATE. */
export function toDbError(err: unknown, query: string): WorkflowError {
  if (err instanceof WorkflowError) return err;
  const { code, message, detail, hint } = errorFields(err);
  const sqlstate = code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  const connection =
    (sqlstate?.startsWith("08") ?? false) ||
    (code !== undefined && CONNECTION_ERRNOS.has(code)) ||
    (sqlstate === undefined && CONNECTION_MESSAGES.test(message));
  const retryable = connection || (sqlstate !== undefined && RETRYABLE_SQLSTATES.has(sqlstate));
  const advice = connection
    ? "Check that the database is running and that DATABASE_URL is right; the query will be retried."
    : retryable
      ? "This is a transient conflict; the query will be retried."
      : "Fix the query or its parameters; retrying the same query will not help.";
  const shown = query.length > 300 ? `${query.slice(0, 300)}…` : query;
  return new WorkflowError(
    ErrorCode.Database,
    `The SQL query failed: ${message}${code ? ` (${sqlstate ? "SQLSTATE " : ""}${code})` : ""}.` +
      `${detail ? ` Detail: ${detail}.` : ""}${hint ? ` Hint: ${hint}.` : ""}\nQuery: ${shown}\n${advice}`,
    { retryable, cause: err, details: { sqlstate, code, query: shown } },
  );
}

function errorFields(err: unknown): { code?: string; message: string; detail?: string; hint?: string } {
  if (typeof err !== "object" || err === null) return { message: String(err) };
  const e = err as { code?: unknown; message?: unknown; detail?: unknown; hint?: unknown };
  const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  // Node reports a refused dual-stack connection as an AggregateError with an empty message.
  const inner = err instanceof AggregateError ? errorFields(err.errors[0]) : undefined;
  return {
    code: str(e.code) ?? inner?.code,
    message: str(e.message) ?? inner?.message ?? "unknown error",
    detail: str(e.detail),
    hint: str(e.hint),
  };
}
