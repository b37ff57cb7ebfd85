import type { Database } from "better-sqlite3";
import { type ListRunsOptions, type RunRecord, type RunStore, recordFromRow } from "./run-store.js";

/** Run records in the SQLite file that holds the checkpoints. */
export class SqliteRunStore implements RunStore {
  constructor(private readonly db: Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS workflow_runs (
      run_id TEXT PRIMARY KEY, goal TEXT, status TEXT NOT NULL, created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL, finished_at TEXT, tasks_total INTEGER)`);
    db.exec("CREATE INDEX IF NOT EXISTS workflow_runs_updated ON workflow_runs (updated_at)");
  }

  async upsert(r: RunRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO workflow_runs (run_id, goal, status, created_at, updated_at, finished_at, tasks_total)
         VALUES (@run_id, @goal, @status, @created_at, @updated_at, @finished_at, @tasks_total)
         ON CONFLICT (run_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at,
           finished_at = excluded.finished_at, tasks_total = COALESCE(excluded.tasks_total, workflow_runs.tasks_total),
           goal = COALESCE(excluded.goal, workflow_runs.goal)`,
      )
      .run({ goal: null, finished_at: null, tasks_total: null, ...r });
  }

  async get(runId: string): Promise<RunRecord | undefined> {
    const row = this.db.prepare("SELECT * FROM workflow_runs WHERE run_id = ?").get(runId) as Record<string, unknown> | undefined;
    return row ? recordFromRow(row) : undefined;
  }

  async list(options: ListRunsOptions = {}): Promise<RunRecord[]> {
    const rows = this.db
      .prepare(
        `SELECT * FROM workflow_runs WHERE (@status IS NULL OR status = @status)
           AND (@after_at IS NULL OR created_at < @after_at OR (created_at = @after_at AND run_id < @after_id))
         ORDER BY created_at DESC, run_id DESC LIMIT @limit`,
      )
      .all({
        status: options.status ?? null,
        limit: options.limit ?? 50,
        after_at: options.after?.created_at ?? null,
        after_id: options.after?.run_id ?? null,
      }) as Record<string, unknown>[];
    return rows.map(recordFromRow);
  }

  async delete(runId: string): Promise<boolean> {
    return this.db.prepare("DELETE FROM workflow_runs WHERE run_id = ?").run(runId).changes > 0;
  }

  async updatedBefore(cutoff: Date): Promise<string[]> {
    const rows = this.db.prepare("SELECT run_id FROM workflow_runs WHERE updated_at < ?").all(cutoff.toISOString()) as { run_id: string }[];
    return rows.map((r) => r.run_id);
  }
}
