import pg from "pg";
import Cursor from "pg-cursor";
import type { Logger } from "../../../utils/logger.js";
import type { SqlClient, SqlQueryOptions } from "../types.js";
import { rowLimitExceeded } from "../../safety/sql/refusal.js";
import { abortable, throwIfCancelled } from "./abortable.js";
import { guardrailError, resultTooLarge } from "./query-errors.js";
import { WireGuard } from "./wire-guard.js";

const POOL_MAX = 8;
/** After a cancel request, how long to wait for the query to end before dropping the connection. */
const CANCEL_GRACE_MS = 5_000;
/** A database that does not accept a connection in this time counts as down (a retryable DB_ERROR). */
const CONNECT_TIMEOUT_MS = 10_000;

type SqlResult = { rows: unknown[]; rowCount: number };

/**
 * PostgreSQL through a pool. Each query runs alone on one pooled connection in its own transaction
 * (`BEGIN READ ONLY` unless writes are allowed) with a local statement_timeout, through the extended
 * protocol, so parameters are always bound and a string holds one statement. Its rows are capped in count
 * and in bytes as they arrive (the connection's WireGuard sees each row's size before it is decoded), and the
 * session is reset with DISCARD ALL before the connection goes back to the pool, so nothing one task sets
 * (a temporary table, a setting, a prepared statement) is seen by the next. While a task holds a connection,
 * its 'error' events are handled here (the pool listens only while it is idle): a dropped connection fails the
 * query, never the process. On abort the call rejects at once, the server is asked to cancel the query, the
 * transaction is rolled back, and the connection goes back to the pool (or is dropped after a grace).
 */
export function postgresClient(connectionString: string, logger: Logger, shared?: pg.Pool): SqlClient {
  const pool = shared ?? new pg.Pool({ connectionString, max: POOL_MAX, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  let ended: Promise<void> | undefined = shared ? Promise.resolve() : undefined;
  if (!shared) pool.on("error", (err) => logger.warn({ err: err.message }, "idle PostgreSQL connection failed"));
  return {
    kind: "postgres",
    async query(text, params, signal, options) {
      const client = await abortable(pool.connect(), signal, (late) => late.release());
      const onError = (err: Error) => logger.debug({ err: err.message }, "a PostgreSQL connection failed during a query");
      client.on("error", onError);
      // Released exactly once: when the transaction ends (dropped unless it ended cleanly), or dropped
      // if a cancel does not end it in time.
      let released = false;
      const release = (destroy: boolean) => {
        if (released) return;
        released = true;
        client.removeListener("error", onError);
        client.release(destroy);
      };
      const work = inTransaction(client, text, params, signal, options).then((outcome) => {
        release(!outcome.clean);
        if (outcome.ok) return outcome.result;
        throw guardrailError(outcome.error, text, options, signal.aborted);
      });
      const onAbort = () => {
        cancelBackend(connectionString, client, logger);
        setTimeout(() => release(true), CANCEL_GRACE_MS).unref();
      };
      return abortable(work, signal, () => undefined, onAbort);
    },
    close: () => {
      ended ??= pool.end();
      return ended;
    },
  };
}

type Outcome = { ok: true; result: SqlResult; clean: boolean } | { ok: false; error: unknown; clean: boolean };

/**
 * BEGIN, statement_timeout, the query, COMMIT, DISCARD ALL. A query that failed, went over a cap or was
 * cancelled is rolled back. `clean` tells whether the connection ended its transaction, was reset and can
 * go back to the pool.
 */
async function inTransaction(
  client: pg.PoolClient,
  text: string,
  params: readonly unknown[],
  signal: AbortSignal,
  options: SqlQueryOptions,
): Promise<Outcome> {
  try {
    await client.query(options.readOnly ? "BEGIN READ ONLY" : "BEGIN");
  } catch (error) {
    return { ok: false, error, clean: false };
  }
  try {
    if (options.statementTimeoutMs > 0) {
      // Local to this transaction: the setting does not stay on the pooled connection.
      await client.query("SELECT set_config('statement_timeout', $1, true)", [String(Math.ceil(options.statementTimeoutMs))]);
    }
    throwIfCancelled(signal);
    const result = await readGuarded(client, text, params, options);
    // A query the caller gave up on is not committed.
    throwIfCancelled(signal);
    await client.query("COMMIT");
    // Committed: the result stands even if the reset fails (the connection is dropped then).
    return { ok: true, result, clean: await resetSession(client) };
  } catch (error) {
    const clean = await client.query("ROLLBACK").then(
      () => resetSession(client),
      () => false,
    );
    return { ok: false, error, clean };
  }
}

/** The rows, capped in bytes while they arrive: the connection is closed at the first row past maxResultBytes. */
async function readGuarded(client: pg.PoolClient, text: string, params: readonly unknown[], options: SqlQueryOptions): Promise<SqlResult> {
  const guard = WireGuard.of(client);
  guard.arm(options.maxResultBytes, (refusal) =>
    resultTooLarge(options.maxResultBytes, text, {
      totalBytes: refusal.totalBytes,
      ...(refusal.singleRow ? { rowBytes: refusal.messageBytes } : {}),
    }),
  );
  try {
    return await readCapped(client, text, params, options.maxRows);
  } finally {
    guard.disarm();
  }
}

/**
 * DISCARD ALL: drop what the task left on the session (temporary tables, settings, prepared statements,
 * advisory locks, LISTEN) before another task gets the connection. pg's own record of the statements it
 * prepared on this connection goes too, as the server has just deallocated them. False: drop the connection.
 */
async function resetSession(client: pg.PoolClient): Promise<boolean> {
  try {
    await client.query("DISCARD ALL");
    const connection = (client as unknown as { connection?: { parsedStatements?: Record<string, string> } }).connection;
    if (connection?.parsedStatements) connection.parsedStatements = {};
    return true;
  } catch {
    return false;
  }
}

/**
 * Run the query through a portal and read at most `maxRows + 1` rows, so an unbounded SELECT is never
 * loaded whole: one row over the cap fails the query with ROW_LIMIT.
 */
function readCapped(client: pg.PoolClient, text: string, params: readonly unknown[], maxRows: number): Promise<SqlResult> {
  const cursor = client.query(new Cursor(text, [...params]));
  return new Promise<SqlResult>((resolve, reject) => {
    cursor.read(maxRows + 1, (err, rows: unknown[], result) => {
      if (err) return reject(err);
      if (rows.length <= maxRows) return resolve({ rows, rowCount: result.rowCount ?? rows.length });
      cursor.close().then(() => reject(rowLimitExceeded(maxRows, text)), reject);
    });
  });
}

/** Ask the server to stop the query running on `client`, over a separate short-lived connection. */
function cancelBackend(connectionString: string, client: pg.PoolClient, logger: Logger): void {
  const pid = (client as unknown as { processID?: number }).processID;
  if (typeof pid !== "number") return;
  const canceller = new pg.Client({ connectionString });
  canceller
    .connect()
    .then(() => canceller.query("SELECT pg_cancel_backend($1)", [pid]))
    .catch((err: unknown) => logger.warn({ err: String(err), pid }, "could not cancel a PostgreSQL query"))
    .finally(() => canceller.end().catch(() => undefined));
}
