import { type CatchUp, cronOf } from "./schedule.js";

/** At most this many missed due times are written down per schedule and tick (a per-second cron down for a day has 86 400). */
export const MAX_MISSED_RECORDED = 20;

export interface DueTimes {
  /** The due time to fire now, if any. */
  fire?: Date;
  /** Due times passed over, newest first (at most MAX_MISSED_RECORDED). */
  missed: Date[];
}

export interface DueInput {
  cron: string;
  tz: string;
  catch_up: CatchUp;
}

/**
 * What a schedule owes at `now`, given that everything up to `from` (its last firing, or its creation) is dealt
 * with: the due times in (from, now]. `latest` fires the newest of them, however late; `none` fires it only when
 * it is at most `graceMs` old (a tick a little late is not downtime) and passes over the rest. Pure: tests give
 * the clock.
 */
export function dueTimes(schedule: DueInput, from: Date, now: Date, graceMs: number): DueTimes {
  const cron = cronOf(schedule.cron, schedule.tz);
  const first = cron.nextRun(from);
  if (!first || first.getTime() > now.getTime()) return { missed: [] };
  // croner's previousRuns are strictly before the reference taken to the second: one second past `now`'s
  // second includes a due time at `now` itself (due times are whole seconds).
  const reference = new Date(Math.floor(now.getTime() / 1000) * 1000 + 1000);
  const recent = cron.previousRuns(MAX_MISSED_RECORDED + 1, reference).filter((t) => t.getTime() > from.getTime());
  const [newest = first, ...older] = recent;
  const missed = older.slice(0, MAX_MISSED_RECORDED);
  if (schedule.catch_up === "latest" || now.getTime() - newest.getTime() <= graceMs) return { fire: newest, missed };
  return { missed: [newest, ...older].slice(0, MAX_MISSED_RECORDED) };
}

/** The next due time strictly after `after`, or undefined when the expression never fires again. */
export function nextDue(schedule: Pick<DueInput, "cron" | "tz">, after: Date): Date | undefined {
  return cronOf(schedule.cron, schedule.tz).nextRun(after) ?? undefined;
}

/** The next `count` due times after `after` (what `schedules add` shows). */
export function nextDues(schedule: Pick<DueInput, "cron" | "tz">, after: Date, count: number): Date[] {
  return cronOf(schedule.cron, schedule.tz).nextRuns(count, after);
}
