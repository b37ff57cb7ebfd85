import { ErrorCode, WorkflowError } from "../../model/errors.js";
import { MAX_PAYLOAD_BYTES } from "../../model/safety-policy.js";
import type { SqlQueryOptions } from "../types.js";
import { refusedByServer, statementTimedOut } from "../../safety/sql/refusal.js";

/**
 * Turn what the database said about a guarded query into the guardrail's own error: its statement
 * timeout (57014, when the engine did not cancel the query itself), or the READ ONLY transaction
 * refusing a write (25006) or a change of transaction mode (25001). Anything else is returned as is.
 */
export function guardrailError(err: unknown, text: string, options: SqlQueryOptions, cancelledByUs: boolean): unknown {
  const code = fieldOf(err, "code");
  if (code === "57014" && !cancelledByUs && options.statementTimeoutMs > 0) {
    return statementTimedOut(options.statementTimeoutMs, text, err);
  }
  if (options.readOnly && (code === "25006" || code === "25001")) {
    return refusedByServer(code, fieldOf(err, "message") ?? "refused", text, err);
  }
  return err;
}

function fieldOf(err: unknown, key: "code" | "message"): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const value = (err as Record<string, unknown>)[key];
  return typeof value === "string" ? value : undefined;
}

/**
 * RESULT_TOO_LARGE: the rows went past limits.maxResultBytes while they were read (on PostgreSQL, from the size
 * of each row's message, before the row was decoded). The query was stopped and rolled back.
 */
export function resultTooLarge(limit: number, query: string, seen: { rowBytes?: number; totalBytes: number }): WorkflowError {
  const shown = query.length > 300 ? `${query.slice(0, 300)}…` : query;
  const what =
    seen.rowBytes !== undefined && seen.rowBytes > limit
      ? `one row alone is ${seen.rowBytes} bytes`
      : `the rows passed ${seen.totalBytes} bytes`;
  return new WorkflowError(
    ErrorCode.ResultTooLarge,
    `The SQL query's result is larger than the limit of ${limit} bytes (${formatMiB(limit)}): ${what}. ` +
      "It was refused while it was read, before it reached memory, and the query was rolled back. Ask for less data " +
      `(fewer columns, LIMIT, aggregate in SQL, substr() of a large value), or raise the limit (limits.maxResultBytes, at most ${formatMiB(MAX_PAYLOAD_BYTES)}).` +
      `\nQuery: ${shown}`,
    {
      retryable: false,
      details: {
        limit,
        setting: "limits.maxResultBytes",
        total_bytes: seen.totalBytes,
        ...(seen.rowBytes === undefined ? {} : { row_bytes: seen.rowBytes }),
        query: shown,
      },
    },
  );
}

function formatMiB(bytes: number): string {
  return `${Math.round((bytes / 1024 ** 2) * 10) / 10} MiB`;
}
