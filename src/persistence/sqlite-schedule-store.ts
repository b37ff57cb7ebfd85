import type { Database } from "better-sqlite3";
import type { FiringOutcome, FiringRecord, Schedule } from "../model/schedule.js";
import { type FiringClaim, firingFromRow, isoOf, type ScheduleStore, scheduleExists, scheduleFromRow, specOf } from "./schedule-store.js";

/** Schedules and their firings in the SQLite file that holds the runs. Times are ISO text (UTC), so text order is time order. */
export class SqliteScheduleStore implements ScheduleStore {
  constructor(private readonly db: Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS workflow_schedules (
      id TEXT PRIMARY KEY, spec TEXT NOT NULL, paused INTEGER NOT NULL, created_at TEXT NOT NULL,
      last_fire_at TEXT, last_run_id TEXT)`);
    db.exec(`CREATE TABLE IF NOT EXISTS workflow_schedule_firings (
      schedule_id TEXT NOT NULL, fire_at TEXT NOT NULL, run_id TEXT, outcome TEXT NOT NULL, claimed_at TEXT NOT NULL,
      PRIMARY KEY (schedule_id, fire_at))`);
  }

  async add(s: Schedule): Promise<void> {
    const inserted = this.db
      .prepare(
        `INSERT INTO workflow_schedules (id, spec, paused, created_at, last_fire_at, last_run_id)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      )
      .run(s.id, specOf(s), s.paused ? 1 : 0, isoOf(s.created_at), s.last_fire_at ? isoOf(s.last_fire_at) : null, s.last_run_id ?? null);
    if (inserted.changes === 0) throw scheduleExists(s.id);
  }

  async get(id: string): Promise<Schedule | undefined> {
    const row = this.db.prepare("SELECT * FROM workflow_schedules WHERE id = ?").get(id) as Record<string, unknown> | undefined;
    return row ? scheduleFromRow(row) : undefined;
  }

  async list(): Promise<Schedule[]> {
    const rows = this.db.prepare("SELECT * FROM workflow_schedules ORDER BY created_at, id").all() as Record<string, unknown>[];
    return rows.map(scheduleFromRow);
  }

  async delete(id: string): Promise<boolean> {
    return this.db.transaction(() => {
      this.db.prepare("DELETE FROM workflow_schedule_firings WHERE schedule_id = ?").run(id);
      return this.db.prepare("DELETE FROM workflow_schedules WHERE id = ?").run(id).changes > 0;
    })();
  }

  async setPaused(id: string, paused: boolean): Promise<Schedule | undefined> {
    this.db.prepare("UPDATE workflow_schedules SET paused = ? WHERE id = ?").run(paused ? 1 : 0, id);
    return this.get(id);
  }

  async claimFiring(c: FiringClaim): Promise<boolean> {
    const result = this.db
      .prepare(
        `INSERT INTO workflow_schedule_firings (schedule_id, fire_at, run_id, outcome, claimed_at)
         VALUES (?, ?, ?, ?, ?) ON CONFLICT (schedule_id, fire_at) DO NOTHING`,
      )
      .run(c.schedule_id, isoOf(c.fire_at), c.run_id ?? null, c.outcome, isoOf(c.claimed_at ?? new Date()));
    return result.changes === 1;
  }

  async setFiringOutcome(scheduleId: string, fireAt: Date, outcome: FiringOutcome): Promise<void> {
    this.db
      .prepare("UPDATE workflow_schedule_firings SET outcome = ? WHERE schedule_id = ? AND fire_at = ?")
      .run(outcome, scheduleId, isoOf(fireAt));
  }

  async recordFired(id: string, fireAt: Date, runId?: string): Promise<void> {
    this.db
      .prepare(
        `UPDATE workflow_schedules SET last_fire_at = @at, last_run_id = COALESCE(@run, last_run_id)
         WHERE id = @id AND (last_fire_at IS NULL OR last_fire_at < @at OR (last_fire_at = @at AND @run IS NOT NULL))`,
      )
      .run({ id, at: isoOf(fireAt), run: runId ?? null });
  }

  async firings(scheduleId: string, limit = 100): Promise<FiringRecord[]> {
    const rows = this.db
      .prepare("SELECT * FROM workflow_schedule_firings WHERE schedule_id = ? ORDER BY fire_at DESC LIMIT ?")
      .all(scheduleId, limit) as Record<string, unknown>[];
    return rows.map(firingFromRow);
  }

  async staleClaims(cutoff: Date): Promise<FiringRecord[]> {
    const rows = this.db
      .prepare("SELECT * FROM workflow_schedule_firings WHERE outcome = 'claimed' AND claimed_at < ? LIMIT 100")
      .all(isoOf(cutoff)) as Record<string, unknown>[];
    return rows.map(firingFromRow);
  }
}
