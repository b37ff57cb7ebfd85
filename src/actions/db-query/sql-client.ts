import { mkdir } from "node:fs/promises";
import path from "node:path";
import type pg from "pg";
import type { Logger } from "../../../utils/logger.js";
import type { SqlClient } from "../types.js";

export interface SqlClientOptions {
  /** A PostgreSQL URL; without one the embedded PGlite database is used. */
  databaseUrl?: string;
  /** The engine's state folder; PGlite keeps its files in `<stateDir>/pglite`. */
  stateDir: string;
  logger: Logger;
  /** A pool owned by the caller (shared with the checkpointer); closing the client then leaves it open. */
  pool?: pg.Pool;
  /** Where PGlite's template data directory is kept (once per machine; default: defaultTemplateRoot(process.env)). */
  pgliteTemplateRoot?: string;
  /** A line for the user while the embedded database starts. */
  onNotice?: (message: string) => void;
}

/**
 * Open the engine's SQL client: a `pg` pool for `databaseUrl`, else PGlite under the state folder. Every
 * query runs alone in its own transaction, READ ONLY unless the caller allows writes, with a statement
 * timeout and a row cap (see SqlQueryOptions).
 */
export async function createSqlClient(options: SqlClientOptions): Promise<SqlClient> {
  // Each client loads its driver when the engine first needs SQL: pg for a URL, else PGlite.
  if (options.databaseUrl) {
    const { postgresClient } = await import("./postgres-client.js");
    return postgresClient(options.databaseUrl, options.logger, options.pool);
  }
  const [{ pgliteClient }, { defaultTemplateRoot }] = await Promise.all([import("./pglite-client.js"), import("./pglite-template.js")]);
  const dataDir = path.join(options.stateDir, "pglite");
  await mkdir(dataDir, { recursive: true });
  return pgliteClient({
    dataDir,
    templateRoot: options.pgliteTemplateRoot ?? defaultTemplateRoot(process.env),
    logger: options.logger,
    ...(options.onNotice ? { onNotice: options.onNotice } : {}),
  });
}
