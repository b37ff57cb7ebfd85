import { ErrorCode, WorkflowError } from "../model/errors.js";
import { type FiringOutcome, type FiringRecord, Schedule } from "../model/schedule.js";

/** A due time claimed by a runner: the row of workflow_schedule_firings it inserted. */
export interface FiringClaim {
  schedule_id: string;
  fire_at: Date;
  run_id?: string;
  outcome: FiringOutcome;
  /** When it was claimed (default: now). */
  claimed_at?: Date;
}

/**
 * Where schedules live: beside the runs, in the same backend. The firings table is what makes a firing happen
 * once: `claimFiring` is one insert keyed on (schedule, due time), so of every runner asking for the same due
 * time (two servers, a restart) exactly one gets `true`.
 */
export interface ScheduleStore {
  /** Store a new schedule; INPUT_INVALID when its id is taken. */
  add(schedule: Schedule): Promise<void>;
  get(id: string): Promise<Schedule | undefined>;
  /** Every schedule, oldest first. */
  list(): Promise<Schedule[]>;
  /** Delete a schedule and its firings; false when there was none. */
  delete(id: string): Promise<boolean>;
  /** Pause or resume; the schedule as it is now, or undefined when there is none. */
  setPaused(id: string, paused: boolean): Promise<Schedule | undefined>;
  /** Claim one due time: true for the one caller that inserted its row, false for every other. */
  claimFiring(claim: FiringClaim): Promise<boolean>;
  /** What became of a claimed firing (started, failed). */
  setFiringOutcome(scheduleId: string, fireAt: Date, outcome: FiringOutcome): Promise<void>;
  /** Move the schedule on to `fireAt` (never back); `runId` becomes its last run when given (also at the same `fireAt`). */
  recordFired(id: string, fireAt: Date, runId?: string): Promise<void>;
  /** A schedule's firings, newest first. */
  firings(scheduleId: string, limit?: number): Promise<FiringRecord[]>;
  /** Firings still `claimed` since before `cutoff`: their runner stopped between the claim and the start. */
  staleClaims(cutoff: Date): Promise<FiringRecord[]>;
}

/** The error for a schedule id that is taken. */
export function scheduleExists(id: string): WorkflowError {
  return new WorkflowError(ErrorCode.InputInvalid, `A schedule "${id}" already exists: choose another id, or delete it first.`, {
    details: { field: "id", value: id },
  });
}

/** A time as stored: ISO 8601 in UTC with milliseconds, so text order is time order (SQLite compares text). */
export function isoOf(time: Date | string): string {
  return (typeof time === "string" ? new Date(time) : time).toISOString();
}

/** A stored schedule from its row: the definition (JSON) and the columns the runner updates. */
export function scheduleFromRow(row: Record<string, unknown>): Schedule {
  const spec = (typeof row.spec === "string" ? JSON.parse(row.spec) : row.spec) as Record<string, unknown>;
  const text = (v: unknown) => (v === null || v === undefined ? undefined : isoOf(v as Date | string));
  const lastFire = text(row.last_fire_at);
  return Schedule.parse({
    ...spec,
    id: String(row.id),
    paused: row.paused === true || row.paused === 1,
    created_at: text(row.created_at),
    ...(lastFire === undefined ? {} : { last_fire_at: lastFire }),
    ...(row.last_run_id === null || row.last_run_id === undefined ? {} : { last_run_id: String(row.last_run_id) }),
  });
}

/** The part of a schedule stored as JSON: everything but the columns. */
export function specOf(schedule: Schedule): string {
  const { id: _i, paused: _p, created_at: _c, last_fire_at: _f, last_run_id: _r, ...spec } = schedule;
  return JSON.stringify(spec);
}

/** A firing from its row. */
export function firingFromRow(row: Record<string, unknown>): FiringRecord {
  return {
    schedule_id: String(row.schedule_id),
    fire_at: isoOf(row.fire_at as Date | string),
    ...(row.run_id === null || row.run_id === undefined ? {} : { run_id: String(row.run_id) }),
    outcome: String(row.outcome) as FiringOutcome,
    claimed_at: isoOf(row.claimed_at as Date | string),
  };
}

/** Schedules kept in memory (`--no-persist`, tests): one process, so a Map is the claim. */
export class MemoryScheduleStore implements ScheduleStore {
  private readonly schedules = new Map<string, Schedule>();
  private readonly fired = new Map<string, FiringRecord>();

  async add(schedule: Schedule): Promise<void> {
    if (this.schedules.has(schedule.id)) throw scheduleExists(schedule.id);
    this.schedules.set(schedule.id, structuredClone(schedule));
  }

  async get(id: string): Promise<Schedule | undefined> {
    const s = this.schedules.get(id);
    return s && structuredClone(s);
  }

  async list(): Promise<Schedule[]> {
    return [...this.schedules.values()].sort((a, b) => a.created_at.localeCompare(b.created_at)).map((s) => structuredClone(s));
  }

  async delete(id: string): Promise<boolean> {
    for (const [key, f] of this.fired) if (f.schedule_id === id) this.fired.delete(key);
    return this.schedules.delete(id);
  }

  async setPaused(id: string, paused: boolean): Promise<Schedule | undefined> {
    const s = this.schedules.get(id);
    if (!s) return undefined;
    s.paused = paused;
    return structuredClone(s);
  }

  async claimFiring(claim: FiringClaim): Promise<boolean> {
    const key = `${claim.schedule_id}\n${isoOf(claim.fire_at)}`;
    if (this.fired.has(key)) return false;
    this.fired.set(key, {
      schedule_id: claim.schedule_id,
      fire_at: isoOf(claim.fire_at),
      ...(claim.run_id ? { run_id: claim.run_id } : {}),
      outcome: claim.outcome,
      claimed_at: isoOf(claim.claimed_at ?? new Date()),
    });
    return true;
  }

  async setFiringOutcome(scheduleId: string, fireAt: Date, outcome: FiringOutcome): Promise<void> {
    const f = this.fired.get(`${scheduleId}\n${isoOf(fireAt)}`);
    if (f) f.outcome = outcome;
  }

  async recordFired(id: string, fireAt: Date, runId?: string): Promise<void> {
    const s = this.schedules.get(id);
    const at = isoOf(fireAt);
    // Never back; at the same time only to name its run (the runner that lost the claim records the time alone).
    if (!s || (s.last_fire_at !== undefined && (s.last_fire_at > at || (s.last_fire_at === at && runId === undefined)))) return;
    s.last_fire_at = at;
    if (runId !== undefined) s.last_run_id = runId;
  }

  async firings(scheduleId: string, limit = 100): Promise<FiringRecord[]> {
    return [...this.fired.values()]
      .filter((f) => f.schedule_id === scheduleId)
      .sort((a, b) => b.fire_at.localeCompare(a.fire_at))
      .slice(0, limit)
      .map((f) => ({ ...f }));
  }

  async staleClaims(cutoff: Date): Promise<FiringRecord[]> {
    return [...this.fired.values()].filter((f) => f.outcome === "claimed" && f.claimed_at < isoOf(cutoff)).map((f) => ({ ...f }));
  }
}
