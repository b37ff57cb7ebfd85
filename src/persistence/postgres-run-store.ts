import type pg from "pg";
import { type ListRunsOptions, type RunRecord, type RunStore, recordFromRow } from "./run-store.js";

/** Run records in a PostgreSQL schema, beside the checkpoint tables. */
export class PostgresRunStore implements RunStore {
  private readonly table: string;

  private constructor(
    private readonly pool: pg.Pool,
    schema: string,
  ) {
    this.table = `"${schema}".workflow_runs`;
  }

  /** Create the table if needed (the schema is created by the checkpointer's setup). */
  static async open(pool: pg.Pool, schema: string): Promise<PostgresRunStore> {
    const store = new PostgresRunStore(pool, schema);
    await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await pool.query(`CREATE TABLE IF NOT EXISTS ${store.table} (
      run_id TEXT PRIMARY KEY, goal TEXT, status TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL,
      updated_at TIMESTAMPTZ NOT NULL, finished_at TIMESTAMPTZ, tasks_total INTEGER)`);
    return store;
  }

  async upsert(r: RunRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.table} (run_id, goal, status, created_at, updated_at, finished_at, tasks_total)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (run_id) DO UPDATE SET status = EXCLUDED.status, updated_at = EXCLUDED.updated_at,
         finished_at = EXCLUDED.finished_at, tasks_total = COALESCE(EXCLUDED.tasks_total, ${this.table}.tasks_total),
         goal = COALESCE(EXCLUDED.goal, ${this.table}.goal)`,
      [r.run_id, r.goal ?? null, r.status, r.created_at, r.updated_at, r.finished_at ?? null, r.tasks_total ?? null],
    );
  }

  async get(runId: string): Promise<RunRecord | undefined> {
    const { rows } = await this.pool.query(`SELECT * FROM ${this.table} WHERE run_id = $1`, [runId]);
    return rows[0] ? recordFromRow(rows[0] as Record<string, unknown>) : undefined;
  }

  async list(options: ListRunsOptions = {}): Promise<RunRecord[]> {
    const { rows } = await this.pool.query(
      `SELECT * FROM ${this.table} WHERE ($1::text IS NULL OR status = $1)
         AND ($3::timestamptz IS NULL OR (created_at, run_id) < ($3::timestamptz, $4::text))
       ORDER BY created_at DESC, run_id DESC LIMIT $2`,
      [options.status ?? null, options.limit ?? 50, options.after?.created_at ?? null, options.after?.run_id ?? null],
    );
    return rows.map((r) => recordFromRow(r as Record<string, unknown>));
  }

  async delete(runId: string): Promise<boolean> {
    const result = await this.pool.query(`DELETE FROM ${this.table} WHERE run_id = $1`, [runId]);
    return (result.rowCount ?? 0) > 0;
  }

  async updatedBefore(cutoff: Date): Promise<string[]> {
    const { rows } = await this.pool.query(`SELECT run_id FROM ${this.table} WHERE updated_at < $1`, [cutoff.toISOString()]);
    return rows.map((r) => String((r as { run_id: string }).run_id));
  }
}
