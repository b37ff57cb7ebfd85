import { existsSync } from "node:fs";
import type pg from "pg";
import type { Logger } from "../../utils/logger.js";
import type { SqlClient } from "../actions/types.js";
import { openPersistence, type Persistence, type PersistenceKind, sqliteFile, withoutSecrets } from "../persistence/open-persistence.js";
import { createSqlClient } from "../actions/db-query/sql-client.js";
import { MemoryRunStore } from "../persistence/run-store.js";
import { MemoryLeaseStore } from "../persistence/run-lease.js";
import { MemoryWorkflowStore } from "../persistence/workflow-store.js";
import { MemoryScheduleStore } from "../persistence/schedule-store.js";
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import type { SecretScrubber } from "../safety/secrets/scrubber.js";

export interface ResourceSettings {
  stateDir: string;
  databaseUrl?: string;
  persist: "auto" | PersistenceKind;
  checkpointUrl?: string;
  checkpointSchema: string;
  checkpointer?: BaseCheckpointSaver;
  logger: Logger;
  /** Scrubs secrets out of what the persistence stores (a given checkpointer's serde is wrapped too). */
  secrets?: SecretScrubber;
  /** Where the embedded database's template is kept (once per machine). */
  pgliteTemplateRoot: string;
  /** Lines for the user about resources starting (the embedded database). */
  onNotice?: (message: string) => void;
}

/**
 * What the engine opens and closes: PostgreSQL pools (one per URL, so db_query and the checkpointer
 * share one when they point at the same database), the SQL client, and the persistence backend.
 */
export class EngineResources {
  private readonly pools = new Map<string, Promise<pg.Pool>>();
  private sql: Promise<SqlClient> | undefined;
  private persistence: Promise<Persistence> | undefined;

  constructor(private readonly settings: ResourceSettings) {}

  /** The persistence kind `persist` resolves to. */
  get persistKind(): PersistenceKind {
    const { persist, checkpointUrl, databaseUrl } = this.settings;
    if (persist !== "auto") return persist;
    return (checkpointUrl ?? databaseUrl) ? "postgres" : "sqlite";
  }

  /** False when nothing was ever stored: the history is a SQLite file that does not exist yet. */
  historyExists(): boolean {
    return this.settings.checkpointer !== undefined || this.persistKind !== "sqlite" || existsSync(sqliteFile(this.settings.stateDir));
  }

  sqlClient(): Promise<SqlClient> {
    const { databaseUrl, stateDir, logger, pgliteTemplateRoot, onNotice } = this.settings;
    const common = { stateDir, logger, pgliteTemplateRoot, ...(onNotice ? { onNotice } : {}) };
    this.sql ??= databaseUrl
      ? this.pool(databaseUrl).then((pool) => createSqlClient({ ...common, databaseUrl, pool }))
      : createSqlClient(common);
    return this.sql;
  }

  openPersistence(): Promise<Persistence> {
    if (!this.persistence) {
      const { checkpointer, secrets } = this.settings;
      const custom: Persistence | undefined = checkpointer && {
        kind: "memory",
        checkpointer,
        runs: new MemoryRunStore(),
        leases: new MemoryLeaseStore(),
        schedules: new MemoryScheduleStore(),
        workflows: new MemoryWorkflowStore(),
        location: "custom",
        close: async () => undefined,
      };
      this.persistence = custom ? Promise.resolve(secrets ? withoutSecrets(custom, secrets) : custom) : this.openStored();
    }
    return this.persistence;
  }

  /** The persistence configured: SQLite, PostgreSQL or memory (checkpoints, run records, leases). */
  private async openStored(): Promise<Persistence> {
    const { stateDir, checkpointSchema, logger, secrets } = this.settings;
    const url = this.settings.checkpointUrl ?? this.settings.databaseUrl;
    return openPersistence({
      kind: this.persistKind,
      stateDir,
      schema: checkpointSchema,
      logger,
      // Lease renewals get connections of their own: tasks holding every shared one must not starve them.
      ...(url ? { pool: await this.pool(url), leasePool: await this.pool(url, "leases") } : {}),
      ...(secrets ? { secrets } : {}),
    });
  }

  /** One pool per URL and purpose; pg loads with the first, so an engine without PostgreSQL never loads it. */
  private pool(url: string, purpose: "shared" | "leases" = "shared"): Promise<pg.Pool> {
    const key = `${purpose} ${url}`;
    let pool = this.pools.get(key);
    if (!pool) {
      pool = import("pg").then(({ default: pg }) => {
        const opened = new pg.Pool({ connectionString: url, max: purpose === "leases" ? 2 : 8, connectionTimeoutMillis: 10_000 });
        opened.on("error", (err) => this.settings.logger.warn({ err: err.message }, "idle PostgreSQL connection failed"));
        return opened;
      });
      this.pools.set(key, pool);
    }
    return pool;
  }

  /** Close everything opened, pools last. */
  async close(): Promise<void> {
    const [sql, persistence] = [this.sql, this.persistence];
    this.sql = undefined;
    this.persistence = undefined;
    await (await sql?.catch(() => undefined))?.close();
    await (await persistence?.catch(() => undefined))?.close();
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.then((pool) => pool.end()).catch(() => undefined)));
  }
}
