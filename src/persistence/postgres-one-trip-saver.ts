import type { RunnableConfig } from "@langchain/core/runnables";
import type { Checkpoint, CheckpointMetadata } from "@langchain/langgraph";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import type pg from "pg";

type ChannelVersions = Parameters<PostgresSaver["put"]>[3];
type PendingWrite = Parameters<PostgresSaver["putWrites"]>[1][number];

/** Rows per INSERT: 8 parameters each, well under PostgreSQL's 65,535 parameters per statement. */
const ROWS_PER_STATEMENT = 1000;

/**
 * LangGraph's PostgreSQL saver, with each write in one round trip. The stock saver sends BEGIN, one INSERT
 * per channel blob or pending write, the checkpoint, then COMMIT: some ten round trips per step, where a
 * step's own work is a fraction of a millisecond. Here a checkpoint and its blobs go in one statement (the
 * blobs in a data-modifying WITH), and a step's pending writes in one multi-row INSERT: a single statement
 * is atomic, so nothing is lost of the stock saver's transactions. The tables, rows and reads are the stock
 * saver's, so runs written by either read back the same.
 */
export class OneTripPostgresSaver extends PostgresSaver {
  private readonly tables: { checkpoints: string; blobs: string; writes: string };

  constructor(
    private readonly db: pg.Pool,
    schema: string,
  ) {
    super(db, undefined, { schema });
    this.tables = {
      checkpoints: `"${schema}".checkpoints`,
      blobs: `"${schema}".checkpoint_blobs`,
      writes: `"${schema}".checkpoint_writes`,
    };
  }

  override async put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    const { thread_id, checkpoint_ns = "", checkpoint_id } = config.configurable ?? {};
    if (thread_id === undefined) throw new Error('Missing "thread_id" in the "configurable" field of "config"');
    const [blobs, dumpedMetadata] = await Promise.all([
      this._dumpBlobs(thread_id, checkpoint_ns, checkpoint.channel_values, newVersions),
      this._dumpMetadata(metadata),
    ]);
    const params: unknown[] = [thread_id, checkpoint_ns, checkpoint.id, checkpoint_id, this._dumpCheckpoint(checkpoint), dumpedMetadata];
    const upsert =
      `INSERT INTO ${this.tables.checkpoints} (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata) ` +
      "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id) " +
      "DO UPDATE SET checkpoint = EXCLUDED.checkpoint, metadata = EXCLUDED.metadata";
    const rows = blobs.map((blob) => placeholders(params, blob));
    const sql = rows.length
      ? `WITH blobs AS (INSERT INTO ${this.tables.blobs} (thread_id, checkpoint_ns, channel, version, type, blob) ` +
        `VALUES ${rows.join(", ")} ON CONFLICT (thread_id, checkpoint_ns, channel, version) DO NOTHING) ${upsert}`
      : upsert;
    await this.db.query(sql, params);
    return { configurable: { thread_id, checkpoint_ns, checkpoint_id: checkpoint.id } };
  }

  override async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string): Promise<void> {
    const { thread_id, checkpoint_ns, checkpoint_id } = config.configurable ?? {};
    const dumped = await this._dumpWrites(thread_id, checkpoint_ns, checkpoint_id, taskId, writes);
    if (dumped.length === 0) return;
    // As the stock saver: special writes (errors, interrupts: negative idx) replace, others are kept once.
    const onConflict = dumped.every((row) => row[4] < 0)
      ? "DO UPDATE SET channel = EXCLUDED.channel, type = EXCLUDED.type, blob = EXCLUDED.blob"
      : "DO NOTHING";
    const statements: [string, unknown[]][] = [];
    for (let i = 0; i < dumped.length; i += ROWS_PER_STATEMENT) {
      const params: unknown[] = [];
      const rows = dumped.slice(i, i + ROWS_PER_STATEMENT).map((row) => placeholders(params, row));
      statements.push([
        `INSERT INTO ${this.tables.writes} (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, blob) ` +
          `VALUES ${rows.join(", ")} ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) ${onConflict}`,
        params,
      ]);
    }
    const [only] = statements;
    if (statements.length === 1 && only) {
      await this.db.query(only[0], only[1]);
      return;
    }
    const client = await this.db.connect();
    try {
      await client.query("BEGIN");
      for (const [sql, params] of statements) await client.query(sql, params);
      await client.query("COMMIT");
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}

/** `(${n}, ${n+1}, ...)` for `values`, appended to `params`. */
function placeholders(params: unknown[], values: readonly unknown[]): string {
  const start = params.length;
  params.push(...values);
  return `(${values.map((_, i) => `$${start + i + 1}`).join(", ")})`;
}
