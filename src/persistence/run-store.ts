import type { RunStatus } from "../model/task-state.js";

/** The index entry of one run (the checkpoints hold everything else). */
export interface RunRecord {
  run_id: string;
  goal?: string;
  status: RunStatus;
  created_at: string;
  updated_at: string;
  finished_at?: string;
  tasks_total?: number;
}

export interface ListRunsOptions {
  status?: RunStatus;
  limit?: number;
  /** Only runs listed after this one (newest first): the last run of the previous page. */
  after?: { created_at: string; run_id: string };
}

/** True when `r` comes after `cursor` in the newest-first order (created_at, then run_id, both descending). */
function isAfter(r: RunRecord, cursor: { created_at: string; run_id: string }): boolean {
  const [a, b] = [Date.parse(r.created_at), Date.parse(cursor.created_at)];
  return a < b || (a === b && r.run_id < cursor.run_id);
}

/** Where run records live: beside the checkpoints, in the same backend. */
export interface RunStore {
  upsert(record: RunRecord): Promise<void>;
  get(runId: string): Promise<RunRecord | undefined>;
  /** Newest first. */
  list(options?: ListRunsOptions): Promise<RunRecord[]>;
  delete(runId: string): Promise<boolean>;
  /** Ids of runs last updated before `cutoff`. */
  updatedBefore(cutoff: Date): Promise<string[]>;
}

/** Runs kept in memory (`--no-persist`). */
export class MemoryRunStore implements RunStore {
  private readonly runs = new Map<string, RunRecord>();

  async upsert(record: RunRecord): Promise<void> {
    this.runs.set(record.run_id, { ...this.runs.get(record.run_id), ...record });
  }

  async get(runId: string): Promise<RunRecord | undefined> {
    return this.runs.get(runId);
  }

  async list(options: ListRunsOptions = {}): Promise<RunRecord[]> {
    return [...this.runs.values()]
      .filter((r) => options.status === undefined || r.status === options.status)
      .filter((r) => options.after === undefined || isAfter(r, options.after))
      .sort((a, b) => b.created_at.localeCompare(a.created_at) || b.run_id.localeCompare(a.run_id))
      .slice(0, options.limit ?? 50);
  }

  async delete(runId: string): Promise<boolean> {
    return this.runs.delete(runId);
  }

  async updatedBefore(cutoff: Date): Promise<string[]> {
    return [...this.runs.values()].filter((r) => Date.parse(r.updated_at) < cutoff.getTime()).map((r) => r.run_id);
  }
}

/** Map a database row (nullable columns) to a RunRecord. */
export function recordFromRow(row: Record<string, unknown>): RunRecord {
  const text = (v: unknown) => (v === null || v === undefined ? undefined : v instanceof Date ? v.toISOString() : String(v));
  return {
    run_id: String(row.run_id),
    status: String(row.status) as RunStatus,
    created_at: text(row.created_at) ?? "",
    updated_at: text(row.updated_at) ?? "",
    ...(text(row.goal) === undefined ? {} : { goal: text(row.goal) }),
    ...(text(row.finished_at) === undefined ? {} : { finished_at: text(row.finished_at) }),
    ...(row.tasks_total === null || row.tasks_total === undefined ? {} : { tasks_total: Number(row.tasks_total) }),
  };
}
