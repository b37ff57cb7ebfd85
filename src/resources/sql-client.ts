import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import type { Logger } from "../../utils/logger.js";
import type { SqlClient } from "../actions/types.js";
import { CancelledError } from "../errors.js";

export interface SqlClientOptions {
  /** A PostgreSQL URL; without one the embedded PGlite database is used. */
  databaseUrl?: string;
  /** The engine's state folder; PGlite keeps its files in `<stateDir>/pglite`. */
  stateDir: string;
  logger: Logger;
  /** A pool owned by the caller (shared with the checkpointer); closing the client then leaves it open. */
  pool?: pg.Pool;
}

const POOL_MAX = 8;
/** After a cancel request, how long to wait for the query to end before dropping the connection. */
const CANCEL_GRACE_MS = 5_000;
/** A database that does not accept a connection in this time counts as down (a retryable DB_ERROR). */
const CONNECT_TIMEOUT_MS = 10_000;

/** Open the engine's SQL client: a `pg` pool for `databaseUrl`, else PGlite under the state folder. */
export async function createSqlClient(options: SqlClientOptions): Promise<SqlClient> {
  if (options.databaseUrl) return postgresClient(options.databaseUrl, options.logger, options.pool);
  const dataDir = path.join(options.stateDir, "pglite");
  await mkdir(dataDir, { recursive: true });
  return pgliteClient(dataDir, options.logger);
}

/**
 * PostgreSQL through a pool. Queries use the extended protocol, so parameters are always bound and a
 * string holds one statement. On abort the call rejects at once, the server is asked to cancel the
 * query, and the connection goes back to the pool when the query ends (or is dropped after a grace).
 */
function postgresClient(connectionString: string, logger: Logger, shared?: pg.Pool): SqlClient {
  const pool = shared ?? new pg.Pool({ connectionString, max: POOL_MAX, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  let ended: Promise<void> | undefined = shared ? Promise.resolve() : undefined;
  if (!shared) pool.on("error", (err) => logger.warn({ err: err.message }, "idle PostgreSQL connection failed"));
  return {
    kind: "postgres",
    async query(text, params, signal) {
      const client = await abortable(pool.connect(), signal, (late) => late.release());
      const config = { text, values: [...params], queryMode: "extended" } as pg.QueryConfig;
      const running = client.query(config);
      // Released exactly once: when the query ends, or dropped if a cancel does not end it in time.
      let released = false;
      const release = (destroy: boolean) => {
        if (released) return;
        released = true;
        client.release(destroy);
      };
      running.then(
        () => release(false),
        (err: unknown) => release(isConnectionLost(err)),
      );
      const onAbort = () => {
        cancelBackend(connectionString, client, logger);
        setTimeout(() => release(true), CANCEL_GRACE_MS).unref();
      };
      const result = await abortable(running, signal, () => undefined, onAbort);
      return { rows: result.rows as unknown[], rowCount: result.rowCount ?? result.rows.length };
    },
    close: () => {
      ended ??= pool.end();
      return ended;
    },
  };
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

/**
 * The embedded PGlite database, imported and opened on the first query so runs without SQL do not
 * load it. PGlite cannot interrupt a running query: on abort the call rejects at once and the query
 * finishes in the background.
 */
function pgliteClient(dataDir: string, logger: Logger): SqlClient {
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
    async query(text, params, signal) {
      const db = await abortable(open(), signal, () => undefined);
      const result = await abortable(db.query<Record<string, unknown>>(text, [...params]), signal, () => undefined);
      return { rows: result.rows, rowCount: result.rowCount ?? result.affectedRows ?? result.rows.length };
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
 * Settle with `work`, or reject with CancelledError as soon as `signal` aborts. `late` receives a value
 * that arrives after the abort (to release it); `onAbort` runs once when the abort wins.
 */
function abortable<T>(work: Promise<T>, signal: AbortSignal, late: (value: T) => void, onAbort?: () => void): Promise<T> {
  if (signal.aborted) {
    work.then(late, () => undefined);
    onAbort?.();
    return Promise.reject(new CancelledError("the SQL query was cancelled"));
  }
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      work.then(late, () => undefined);
      onAbort?.();
      reject(new CancelledError("the SQL query was cancelled"));
    };
    signal.addEventListener("abort", abort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", abort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", abort);
        reject(err);
      },
    );
  });
}

/** A connection that died mid-query must not go back to the pool. */
function isConnectionLost(err: unknown): boolean {
  const code = typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code !== "string" || code.length !== 5 || code.startsWith("08") || code.startsWith("57P");
}
