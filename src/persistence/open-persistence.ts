import { mkdirSync } from "node:fs";
import path from "node:path";
import { type BaseCheckpointSaver, MemorySaver } from "@langchain/langgraph";
import type pg from "pg";
import type { Logger } from "../../utils/logger.js";
import { ErrorCode, WorkflowError } from "../model/errors.js";
import type { SecretScrubber } from "../safety/secrets/scrubber.js";
import { MemoryLeaseStore, type RunLeaseStore } from "./run-lease.js";
import { MemoryRunStore, type RunStore } from "./run-store.js";
import { MemoryScheduleStore, type ScheduleStore } from "./schedule-store.js";
import { ScrubbedRunStore, scrubCheckpoints } from "./scrubbed-storage.js";
import { MemoryWorkflowStore, type WorkflowStore } from "./workflow-store.js";

export const PersistenceKind = ["memory", "sqlite", "postgres"] as const;
export type PersistenceKind = (typeof PersistenceKind)[number];

/** Where a run's checkpoints and its index entry live. */
export interface Persistence {
  readonly kind: PersistenceKind;
  readonly checkpointer: BaseCheckpointSaver;
  readonly runs: RunStore;
  /** Who drives each run (src/persistence/run-lease.ts), in the same backend. */
  readonly leases: RunLeaseStore;
  /** Cron schedules and their firings (src/persistence/schedule-store.ts), in the same backend. */
  readonly schedules: ScheduleStore;
  /** The workflow library's added versions (src/persistence/workflow-store.ts), in the same backend. */
  readonly workflows: WorkflowStore;
  /** Where the data is (a file, a schema), for messages. */
  readonly location: string;
  close(): Promise<void>;
}

export interface PersistenceOptions {
  kind: PersistenceKind;
  /** SQLite: the state folder (the file is `<stateDir>/checkpoints.sqlite`). */
  stateDir: string;
  /** PostgreSQL: the pool (shared with db_query when the URLs are the same) and the schema. */
  pool?: pg.Pool;
  /** PostgreSQL: the pool run leases are taken and renewed through (default: `pool`). */
  leasePool?: pg.Pool;
  schema?: string;
  logger: Logger;
  /** Scrubs secrets out of every checkpoint, pending write and run record before it is stored. */
  secrets?: SecretScrubber;
}

/** Open the checkpointer and run store of the chosen kind; the heavy modules load only when used. */
export async function openPersistence(options: PersistenceOptions): Promise<Persistence> {
  const persistence = await openKind(options);
  return options.secrets ? withoutSecrets(persistence, options.secrets) : persistence;
}

/** The same persistence, storing nothing `secrets` knows or recognises as a secret. */
export function withoutSecrets(persistence: Persistence, secrets: SecretScrubber): Persistence {
  scrubCheckpoints(persistence.checkpointer, secrets);
  return { ...persistence, runs: new ScrubbedRunStore(persistence.runs, secrets) };
}

async function openKind(options: PersistenceOptions): Promise<Persistence> {
  if (options.kind === "memory") {
    return {
      kind: "memory",
      checkpointer: new MemorySaver(),
      runs: new MemoryRunStore(),
      leases: new MemoryLeaseStore(),
      schedules: new MemoryScheduleStore(),
      workflows: new MemoryWorkflowStore(),
      location: "memory",
      close: async () => undefined,
    };
  }
  if (options.kind === "sqlite") return openSqlite(options.stateDir);
  if (!options.pool) throw new WorkflowError(ErrorCode.ConfigInvalid, "PostgreSQL persistence needs CHECKPOINT_URL or DATABASE_URL.");
  return openPostgres(options.pool, options.leasePool ?? options.pool, options.schema ?? "workflow_engine");
}

async function openSqlite(stateDir: string): Promise<Persistence> {
  const file = sqliteFile(stateDir);
  try {
    mkdirSync(stateDir, { recursive: true });
    const [
      { default: Database },
      { SqliteSaver },
      { SqliteRunStore },
      { SqliteLeaseStore },
      { SqliteScheduleStore },
      { SqliteWorkflowStore },
    ] = await Promise.all([
      import("better-sqlite3"),
      import("@langchain/langgraph-checkpoint-sqlite"),
      import("./sqlite-run-store.js"),
      import("./sqlite-run-lease.js"),
      import("./sqlite-schedule-store.js"),
      import("./sqlite-workflow-store.js"),
    ]);
    const db = new Database(file);
    db.pragma("journal_mode = WAL");
    // WAL with synchronous=NORMAL: a committed step survives the process being killed (kill -9);
    // only an OS crash or power loss can lose the last steps. FULL would fsync every step.
    db.pragma("synchronous = NORMAL");
    const checkpointer = new SqliteSaver(db);
    const [runs, leases, schedules] = [new SqliteRunStore(db), new SqliteLeaseStore(db), new SqliteScheduleStore(db)];
    const workflows = new SqliteWorkflowStore(db);
    return { kind: "sqlite", checkpointer, runs, leases, schedules, workflows, location: file, close: async () => void db.close() };
  } catch (err) {
    throw new WorkflowError(
      ErrorCode.ConfigInvalid,
      `Cannot open the run history at ${file}: ${(err as Error).message}. Check the folder is writable, or keep the checkpoints in memory (persist: "memory").`,
      { cause: err },
    );
  }
}

async function openPostgres(pool: pg.Pool, leasePool: pg.Pool, schema: string): Promise<Persistence> {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new WorkflowError(ErrorCode.ConfigInvalid, `CHECKPOINT_SCHEMA "${schema}" is not a plain identifier (letters, digits, _).`);
  }
  const [{ OneTripPostgresSaver }, { PostgresRunStore }, { PostgresLeaseStore }, { PostgresScheduleStore }, { PostgresWorkflowStore }] =
    await Promise.all([
      import("./postgres-one-trip-saver.js"),
      import("./postgres-run-store.js"),
      import("./postgres-run-lease.js"),
      import("./postgres-schedule-store.js"),
      import("./postgres-workflow-store.js"),
    ]);
  try {
    const checkpointer = new OneTripPostgresSaver(pool, schema);
    // Processes opening a new schema at once would race in CREATE ... IF NOT EXISTS, which PostgreSQL does not
    // serialise (one fails on pg_type's unique index): the set-up runs under an advisory lock per schema.
    const { runs, leases, schedules, workflows } = await underSetupLock(pool, schema, async () => {
      await checkpointer.setup();
      return {
        runs: await PostgresRunStore.open(pool, schema),
        leases: await PostgresLeaseStore.open(leasePool, schema),
        schedules: await PostgresScheduleStore.open(pool, schema),
        workflows: await PostgresWorkflowStore.open(pool, schema),
      };
    });
    return {
      kind: "postgres",
      checkpointer,
      runs,
      leases,
      schedules,
      workflows,
      location: `schema ${schema}`,
      close: async () => undefined,
    };
  } catch (err) {
    throw new WorkflowError(
      ErrorCode.ConfigInvalid,
      `Cannot open the run history in PostgreSQL (schema ${schema}): ${(err as Error).message}.`,
      {
        cause: err,
      },
    );
  }
}

/** Run `work` holding a session advisory lock on `schema`'s set-up, on a client of its own. */
async function underSetupLock<T>(pool: pg.Pool, schema: string, work: () => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock(hashtext($1))", [`workflow-engine setup ${schema}`]);
    try {
      return await work();
    } finally {
      await client.query("SELECT pg_advisory_unlock(hashtext($1))", [`workflow-engine setup ${schema}`]);
    }
  } finally {
    client.release();
  }
}

/** Where the SQLite history of a state folder is kept. */
export function sqliteFile(stateDir: string): string {
  return path.join(stateDir, "checkpoints.sqlite");
}
