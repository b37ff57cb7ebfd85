import type pg from "pg";
import type { FiringOutcome, FiringRecord, Schedule } from "../model/schedule.js";
import { type FiringClaim, firingFromRow, isoOf, type ScheduleStore, scheduleExists, scheduleFromRow, specOf } from "./schedule-store.js";

/** Schedules and their firings in a PostgreSQL schema, beside the run records. */
export class PostgresScheduleStore implements ScheduleStore {
  private readonly table: string;
  private readonly firingsTable: string;

  private constructor(
    private readonly pool: pg.Pool,
    schema: string,
  ) {
    this.table = `"${schema}".workflow_schedules`;
    this.firingsTable = `"${schema}".workflow_schedule_firings`;
  }

  /** Create the tables if needed; call it under open-persistence's set-up lock (CREATE IF NOT EXISTS races). */
  static async open(pool: pg.Pool, schema: string): Promise<PostgresScheduleStore> {
    const store = new PostgresScheduleStore(pool, schema);
    await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await pool.query(`CREATE TABLE IF NOT EXISTS ${store.table} (
      id TEXT PRIMARY KEY, spec JSONB NOT NULL, paused BOOLEAN NOT NULL, created_at TIMESTAMPTZ NOT NULL,
      last_fire_at TIMESTAMPTZ, last_run_id TEXT)`);
    await pool.query(`CREATE TABLE IF NOT EXISTS ${store.firingsTable} (
      schedule_id TEXT NOT NULL, fire_at TIMESTAMPTZ NOT NULL, run_id TEXT, outcome TEXT NOT NULL,
      claimed_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (schedule_id, fire_at))`);
    return store;
  }

  async add(s: Schedule): Promise<void> {
    const result = await this.pool.query(
      `INSERT INTO ${this.table} (id, spec, paused, created_at, last_fire_at, last_run_id)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
      [s.id, specOf(s), s.paused, s.created_at, s.last_fire_at ?? null, s.last_run_id ?? null],
    );
    if ((result.rowCount ?? 0) === 0) throw scheduleExists(s.id);
  }

  async get(id: string): Promise<Schedule | undefined> {
    const { rows } = await this.pool.query(`SELECT * FROM ${this.table} WHERE id = $1`, [id]);
    return rows[0] ? scheduleFromRow(rows[0] as Record<string, unknown>) : undefined;
  }

  async list(): Promise<Schedule[]> {
    const { rows } = await this.pool.query(`SELECT * FROM ${this.table} ORDER BY created_at, id`);
    return rows.map((r) => scheduleFromRow(r as Record<string, unknown>));
  }

  async delete(id: string): Promise<boolean> {
    // One statement: the firings go with the schedule, or neither does.
    const result = await this.pool.query(
      `WITH gone AS (DELETE FROM ${this.firingsTable} WHERE schedule_id = $1) DELETE FROM ${this.table} WHERE id = $1`,
      [id],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async setPaused(id: string, paused: boolean): Promise<Schedule | undefined> {
    const { rows } = await this.pool.query(`UPDATE ${this.table} SET paused = $2 WHERE id = $1 RETURNING *`, [id, paused]);
    return rows[0] ? scheduleFromRow(rows[0] as Record<string, unknown>) : undefined;
  }

  async claimFiring(c: FiringClaim): Promise<boolean> {
    const result = await this.pool.query(
      `INSERT INTO ${this.firingsTable} (schedule_id, fire_at, run_id, outcome, claimed_at)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (schedule_id, fire_at) DO NOTHING`,
      [c.schedule_id, isoOf(c.fire_at), c.run_id ?? null, c.outcome, isoOf(c.claimed_at ?? new Date())],
    );
    return result.rowCount === 1;
  }

  async setFiringOutcome(scheduleId: string, fireAt: Date, outcome: FiringOutcome): Promise<void> {
    await this.pool.query(`UPDATE ${this.firingsTable} SET outcome = $3 WHERE schedule_id = $1 AND fire_at = $2`, [
      scheduleId,
      isoOf(fireAt),
      outcome,
    ]);
  }

  async recordFired(id: string, fireAt: Date, runId?: string): Promise<void> {
    await this.pool.query(
      `UPDATE ${this.table} SET last_fire_at = $2::timestamptz, last_run_id = COALESCE($3, last_run_id)
       WHERE id = $1 AND (last_fire_at IS NULL OR last_fire_at < $2 OR (last_fire_at = $2 AND $3::text IS NOT NULL))`,
      [id, isoOf(fireAt), runId ?? null],
    );
  }

  async firings(scheduleId: string, limit = 100): Promise<FiringRecord[]> {
    const { rows } = await this.pool.query(`SELECT * FROM ${this.firingsTable} WHERE schedule_id = $1 ORDER BY fire_at DESC LIMIT $2`, [
      scheduleId,
      limit,
    ]);
    return rows.map((r) => firingFromRow(r as Record<string, unknown>));
  }

  async staleClaims(cutoff: Date): Promise<FiringRecord[]> {
    const { rows } = await this.pool.query(`SELECT * FROM ${this.firingsTable} WHERE outcome = 'claimed' AND claimed_at < $1 LIMIT 100`, [
      isoOf(cutoff),
    ]);
    return rows.map((r) => firingFromRow(r as Record<string, unknown>));
  }
}
