import type { PGlite, Transaction } from "@electric-sql/pglite";
import type { Logger } from "../../../utils/logger.js";
import { type OpenedPglite, openPglite, type PgliteLocation } from "./pglite-open.js";
import type { SqlClient, SqlQueryOptions } from "../types.js";
import { CancelledError } from "../../model/errors.js";
import { rowLimitExceeded, statementTimedOut } from "../../safety/sql/refusal.js";
import { abortable } from "./abortable.js";
import { guardrailError, resultTooLarge } from "./query-errors.js";
import { readsThroughCursor } from "./statement-shape.js";

type SqlResult = { rows: unknown[]; rowCount: number };
type Row = Record<string, unknown>;

/** Rows fetched from the cursor at a time: the most held beyond the caps while a batch is checked. */
const FETCH_ROWS = 50;
const CURSOR = "wfe_rows";

/**
 * The embedded PGlite database, imported and opened on the first query so runs without SQL do not
 * load it (src/actions/db-query/pglite-open.ts: the lock, the template copy, the start settings). It is one connection shared by every task: each query runs in its own `transaction()`,
 * which PGlite runs one at a time, so the BEGIN/query/COMMIT of two tasks never interleave; then DISCARD ALL
 * resets the session, so a temporary table or setting one task leaves is not seen by the next (the pair
 * runs in a queue of its own, so no other task's query comes between them).
 * A plain SELECT is read through a cursor, FETCH_ROWS rows at a time, and stops at the row cap or the byte
 * cap (limits.maxResultBytes); other statements (writes with RETURNING, EXPLAIN, SHOW) return their rows at
 * once and are checked then. A single value too large for PGlite fails inside PGlite, cleanly.
 * PGlite cannot interrupt a running query and has no timer for statement_timeout: on abort the call
 * rejects at once and the query finishes in the background, then is rolled back; a query that ran past
 * its statement timeout fails when it returns, and is rolled back too.
 */
export function pgliteClient(where: PgliteLocation): SqlClient {
  let opening: Promise<OpenedPglite> | undefined;
  const open = () => {
    opening ??= openPglite(where).catch((err: unknown) => {
      opening = undefined;
      throw err;
    });
    return opening;
  };
  let queue: Promise<unknown> = Promise.resolve();
  return {
    kind: "pglite",
    async query(text, params, signal, options) {
      const { db } = await abortable(open(), signal, () => undefined);
      const cursor = await readsThroughCursor(text);
      const job = queue.then(() => runAndReset(db, text, params, signal, options, cursor, where.logger));
      queue = job.then(
        () => undefined,
        () => undefined,
      );
      return abortable(job, signal, () => undefined);
    },
    async close() {
      const pending = opening;
      opening = undefined;
      await (await pending?.catch(() => undefined))?.close();
    },
  };
}

/** The query, then DISCARD ALL, whatever the query's outcome. */
async function runAndReset(
  db: PGlite,
  text: string,
  params: readonly unknown[],
  signal: AbortSignal,
  options: SqlQueryOptions,
  cursor: boolean,
  logger: Logger,
): Promise<SqlResult> {
  try {
    return await runGuarded(db, text, params, signal, options, cursor);
  } finally {
    await db.query("DISCARD ALL").catch((err: unknown) => logger.warn({ err: String(err) }, "could not reset the PGlite session"));
  }
}

/**
 * The query in its own transaction. PGlite runs a statement synchronously on this thread, so no timer
 * can end it: a statement that ran past its timeout fails with the same error as on PostgreSQL once it
 * returns, and is rolled back.
 */
async function runGuarded(
  db: PGlite,
  text: string,
  params: readonly unknown[],
  signal: AbortSignal,
  options: SqlQueryOptions,
  cursor: boolean,
): Promise<SqlResult> {
  try {
    return await db.transaction(async (tx: Transaction) => {
      if (options.readOnly) await tx.query("SET TRANSACTION READ ONLY");
      const started = performance.now();
      const result = cursor ? await readByCursor(tx, text, params, options) : await readAtOnce(tx, text, params, options);
      const timeoutMs = options.statementTimeoutMs;
      if (timeoutMs > 0 && performance.now() - started > timeoutMs) throw statementTimedOut(timeoutMs, text);
      // A query the caller gave up on is rolled back, not committed.
      if (signal.aborted) throw new CancelledError("the SQL query was cancelled");
      return result;
    });
  } catch (err) {
    throw guardrailError(err, text, options, signal.aborted);
  }
}

/** A plain SELECT through a cursor, a batch at a time, stopping at the first row past either cap. */
async function readByCursor(tx: Transaction, text: string, params: readonly unknown[], options: SqlQueryOptions): Promise<SqlResult> {
  await tx.query(`DECLARE ${CURSOR} NO SCROLL CURSOR FOR ${text}`, [...params]);
  const tally = new ResultTally(text, options);
  for (;;) {
    const want = Math.min(FETCH_ROWS, options.maxRows + 1 - tally.rows.length);
    const batch = await tx.query<Row>(`FETCH FORWARD ${want} FROM ${CURSOR}`);
    for (const row of batch.rows) tally.add(row);
    if (batch.rows.length < want) break;
  }
  await tx.query(`CLOSE ${CURSOR}`);
  return { rows: tally.rows, rowCount: tally.rows.length };
}

/** Any other statement: PGlite hands back every row at once (they are in this process already); the caps are checked on them. */
async function readAtOnce(tx: Transaction, text: string, params: readonly unknown[], options: SqlQueryOptions): Promise<SqlResult> {
  const result = await tx.query<Row>(text, [...params]);
  const tally = new ResultTally(text, options);
  for (const row of result.rows) tally.add(row);
  return { rows: tally.rows, rowCount: result.rowCount ?? result.affectedRows ?? result.rows.length };
}

/** Rows kept so far, held to limits.maxRows and limits.maxResultBytes (about as many bytes as PostgreSQL sends). */
class ResultTally {
  readonly rows: Row[] = [];
  private bytes = 0;
  constructor(
    private readonly text: string,
    private readonly options: SqlQueryOptions,
  ) {}

  add(row: Row): void {
    const size = rowBytes(row);
    this.bytes += size;
    if (this.bytes > this.options.maxResultBytes) {
      throw resultTooLarge(this.options.maxResultBytes, this.text, { totalBytes: this.bytes, rowBytes: size });
    }
    this.rows.push(row);
    if (this.rows.length > this.options.maxRows) throw rowLimitExceeded(this.options.maxRows, this.text);
  }
}

function rowBytes(row: Row): number {
  let bytes = 7;
  for (const value of Object.values(row)) bytes += 4 + valueBytes(value);
  return bytes;
}

function valueBytes(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === "string") return value.length;
  if (value instanceof Uint8Array) return value.byteLength;
  if (typeof value === "object" && !(value instanceof Date)) return JSON.stringify(value)?.length ?? 0;
  return 8;
}
