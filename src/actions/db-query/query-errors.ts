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
