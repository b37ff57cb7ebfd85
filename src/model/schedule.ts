import { Cron } from "croner";
import { z } from "zod";

/** A schedule id: `sch-<uuid>`, or a name the user chose. No `:`, so a run id `<schedule id>:<fire time>` splits at its first `:`. */
const SCHEDULE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** A library workflow, NAME or NAME@VERSION; which names exist is the library's business. */
const WORKFLOW_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}(@\d{1,6}\.\d{1,6}\.\d{1,6})?$/;
const VARIABLE_NAME = /^[A-Za-z_][\w-]*$/;

const Overlap = ["skip", "allow"] as const;
export const CatchUp = ["latest", "none"] as const;
export type CatchUp = (typeof CatchUp)[number];

/** What happened to one due time of a schedule (a row of workflow_schedule_firings). */
export const FiringOutcome = ["claimed", "started", "failed", "skipped_overlap", "missed"] as const;
export type FiringOutcome = (typeof FiringOutcome)[number];

/** croner, the way every schedule is read: 5 fields (minutes) or 6 (seconds first); never started, only asked. */
export function cronOf(expression: string, timezone: string): Cron {
  return new Cron(expression, { timezone, paused: true, mode: "5-or-6-parts" });
}

/** Why `expression` is not a cron expression that ever fires, or undefined when it is one. */
function cronProblem(expression: string): string | undefined {
  try {
    if (cronOf(expression, "UTC").nextRun() === null) return "never fires";
    return undefined;
  } catch (err) {
    return (err as Error).message.replace(/^CronPattern: /, "");
  }
}

/** True when `zone` is an IANA time zone this runtime knows (Intl refuses the others). */
function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const CRON_ALLOWED = 'a cron expression of 5 fields (minute hour day month weekday, e.g. "0 2 * * *") or 6 (seconds first)';

const CronExpression = z
  .string()
  .max(200)
  .superRefine((value, ctx) => {
    const problem = cronProblem(value);
    if (problem) ctx.addIssue({ code: "custom", input: value, message: `must be ${CRON_ALLOWED}; here: ${problem}` });
  });

const TimeZone = z.string().max(64).refine(isTimeZone, { error: "must be an IANA time zone (e.g. UTC, Europe/Paris, America/New_York)" });

const Variables = z.record(z.string().regex(VARIABLE_NAME, "variable names take letters, digits, _ and -"), z.unknown());

/** What a user gives to create a schedule (CLI flags, `POST /schedules`). The plan is checked further by `parseScheduleInput`. */
export const ScheduleInput = z
  .strictObject({
    id: z.string().regex(SCHEDULE_ID, "a schedule id starts with a letter or digit, then letters, digits, _ . - (at most 64)").optional(),
    cron: CronExpression,
    tz: TimeZone.default("UTC"),
    goal: z.string().trim().min(1, "a goal needs some text").max(10_000).optional(),
    plan: z.record(z.string(), z.unknown()).optional(),
    workflow: z.string().regex(WORKFLOW_NAME, "a workflow is NAME or NAME@VERSION (a name takes letters, digits, _ and -)").optional(),
    inputs: z.record(z.string(), z.unknown()).optional(),
    variables: Variables.optional(),
    overlap: z.enum(Overlap).default("skip"),
    catch_up: z.enum(CatchUp).default("latest"),
    paused: z.boolean().default(false),
  })
  .superRefine((s, ctx) => {
    const targets = [s.goal, s.plan, s.workflow].filter((t) => t !== undefined).length;
    if (targets !== 1) ctx.addIssue({ code: "custom", path: [], message: `give exactly one of goal, plan or workflow (given ${targets})` });
    if (s.inputs !== undefined && s.workflow === undefined) {
      ctx.addIssue({ code: "custom", path: ["inputs"], message: "inputs only apply with a workflow" });
    }
  });
export type ScheduleInput = z.input<typeof ScheduleInput>;

const IsoTime = z.iso.datetime({ offset: true });

/** A stored schedule: the input with its id and defaults, and what the runner last did. */
export const Schedule = z.strictObject({
  id: z.string().regex(SCHEDULE_ID),
  cron: z.string(),
  tz: z.string(),
  goal: z.string().optional(),
  plan: z.record(z.string(), z.unknown()).optional(),
  workflow: z.string().optional(),
  inputs: z.record(z.string(), z.unknown()).optional(),
  variables: z.record(z.string(), z.unknown()).optional(),
  overlap: z.enum(Overlap),
  catch_up: z.enum(CatchUp),
  paused: z.boolean(),
  created_at: IsoTime,
  /** The newest due time the runner dealt with (fired, skipped or missed). */
  last_fire_at: IsoTime.optional(),
  /** The run of the newest firing that started one. */
  last_run_id: z.string().optional(),
});
export type Schedule = z.infer<typeof Schedule>;

/** One due time of a schedule, claimed by the runner that dealt with it. */
export interface FiringRecord {
  schedule_id: string;
  fire_at: string;
  run_id?: string;
  outcome: FiringOutcome;
  claimed_at: string;
}

/**
 * The run a firing starts: `<schedule id>:<fire time>`, e.g. `nightly:2026-11-30T02:00:00Z` (the engine's run ids
 * take letters, digits, `. _ : -`; `@` is not one of them). The same due time always gives the same id.
 */
export function firingRunId(scheduleId: string, fireAt: Date): string {
  return `${scheduleId}:${fireAt.toISOString().replace(/\.\d{3}Z$/, "Z")}`;
}
