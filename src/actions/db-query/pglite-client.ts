import type { PGlite, Transaction } from "@electric-sql/pglite";
import type { Logger } from "../../../utils/logger.js";
import type { SqlClient, SqlQueryOptions } from "../types.js";
import { CancelledError } from "../../model/errors.js";
import { rowLimitExceeded, statementTimedOut } from "../../safety/sql/refusal.js";
import { abortable } from "./abortable.js";
import { guardrailError } from "./query-errors.js";

type SqlResult = { rows: unknown[]; rowCount: number };

/**
 * The embedded PGlite database, imported and opened on the first query so runs without SQL do not
 * load it. It is one connection shared by every task: each query runs in its own `transaction()`,
 * which PGlite runs one at a time, so the BEGIN/query/COMMIT of two tasks never interleave.
 * PGlite cannot interrupt a running query and has no timer for statement_timeout: on abort the call
 * rejects at once and the query finishes in the background, then is rolled back; a query that ran past
 * its statement timeout fails when it returns, and is rolled back too.
 */
export function pgliteClient(dataDir: string, logger: Logger): SqlClient {
  let opening: Promise<PGlite> | undefined;
  const open = () => {
    opening ??= import("@electric-sql/pglite")
      .then(({ PGlite, types }) => {
        logger.debug({ dataDir }, "opening the embedded PGlite database");
        // int8 as text, as `pg` returns it: a plan behaves the same on both backends, and no precision is lost.
        return PGlite.create(dataDir, { parsers: { [types.INT8]: (value: string) => value } });
      })
      .catch((err: unknown) => {
        opening = undefined;
        throw err;
      });
    return opening;
  };
  return {
    kind: "pglite",
    async query(text, params, signal, options) {
      const db = await abortable(open(), signal, () => undefined);
      return abortable(runGuarded(db, text, params, signal, options), signal, () => undefined);
    },
    async close() {
      const pending = opening;
      opening = undefined;
      const db = await pending?.catch(() => undefined);
      if (db && !db.closed) await db.close();
    },
  };
}

/**
 * The query in its own transaction. PGlite runs a statement synchronously on this thread, so no timer
 * can end it: a statement that ran past its timeout fails with the same error as on PostgreSQL once it
 * returns, and is rolled back.
 */
async function runGuarded(db: PGlite, text: string, params: readonly unknown[], signal: AbortSignal, options: SqlQueryOptions): Promise<SqlResult> {
  try {
    return await db.transaction(async (tx: Transaction) => {
      if (options.readOnly) await tx.query("SET TRANSACTION READ ONLY");
      const started = performance.now();
      const result = await tx.query<Record<string, unknown>>(text, [...params]);
      const timeoutMs = options.statementTimeoutMs;
      if (timeoutMs > 0 && performance.now() - started > timeoutMs) throw statementTimedOut(timeoutMs, text);
      // PGlite hands back every row at once (they are in this process already): the cap is checked on them.
      if (result.rows.length > options.maxRows) throw rowLimitExceeded(options.maxRows, text);
      // A query the caller gave up on is rolled back, not committed.
      if (signal.aborted) throw new CancelledError("the SQL query was cancelled");
      return { rows: result.rows, rowCount: result.rowCount ?? result.affectedRows ?? result.rows.length };
    });
  } catch (err) {
    throw guardrailError(err, text, options, signal.aborted);
  }
}
