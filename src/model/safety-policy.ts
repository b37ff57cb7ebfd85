import { z } from "zod";
import type { PlanOrigin } from "./planner.js";
import { ApproveMode } from "./approve-mode.js";

/** Who wrote the plan: the user (a plan file, or a goal the rule planner only rephrased) or a model. */
export const PlanAuthor = ["user", "model"] as const;
export type PlanAuthor = (typeof PlanAuthor)[number];

/**
 * A number limit whose messages give its allowed range ("a whole number from 1 to 10000"), so a value out
 * of range is refused with its range, whichever way it came in (CLI flag, engine option).
 */
function range(min: number, max: number, opts: { int?: boolean; above?: boolean } = {}) {
  const kind = opts.int ? "a whole number" : "a number";
  const error = `must be ${kind} ${opts.above ? `greater than ${min} and at most ${max}` : `from ${min} to ${max}`}`;
  const n = opts.int ? z.number({ error }).int({ error }) : z.number({ error });
  return (opts.above ? n.gt(min, { error }) : n.min(min, { error })).max(max, { error });
}

const MiB = 1024 ** 2;
/**
 * The largest HTTP response and SQL result: each is decoded into one string (the body; a value of a row),
 * and V8 strings hold at most 2^29-24 characters, so a larger cap could not be honoured.
 */
export const MAX_PAYLOAD_BYTES = 512 * MiB;

/** Bounds that end a task or a run with a clear error instead of a hang or an unbounded cost. */
export const Limits = z.strictObject({
  /** Tasks per plan. */
  maxTasks: range(1, 10_000, { int: true }).default(1_000),
  /** Bytes of one HTTP response body. */
  maxResponseBytes: range(1, MAX_PAYLOAD_BYTES, { int: true }).default(10 * MiB),
  /** Bytes of one db_query result: the rows as the database sends them. */
  maxResultBytes: range(1, MAX_PAYLOAD_BYTES, { int: true }).default(10 * MiB),
  /** Bytes of one file read or written. */
  maxFileBytes: range(1, 1024 ** 3, { int: true }).default(50 * MiB),
  /** Rows one query may return. */
  maxRows: range(1, 10_000_000, { int: true }).default(10_000),
  /** PostgreSQL statement_timeout of one query, in seconds. */
  statementTimeoutSeconds: range(0, 86_400, { above: true }).default(30),
  /** Wall time of one task attempt, in seconds (polling api_calls have their own deadline on top). */
  taskTimeoutSeconds: range(0, 86_400 * 7, { above: true }).default(600),
  /** Wall time of a whole run, in seconds; unset: none. Longer than a Node timer: it is chained. */
  runDeadlineSeconds: range(0, 86_400 * 30, { above: true }).optional(),
  /** Wall time of one JSONata evaluation (transform_data, api_call `until`), in seconds. */
  transformTimeoutSeconds: range(0, 86_400, { above: true }).default(60),
  /** Bytes one JSONata evaluation may allocate, estimated over its steps (characters, 8 per array item). */
  maxTransformBytes: range(MiB, 2048 * MiB, { int: true }).default(256 * MiB),
  /** LLM calls (planner and failure advisor together) per run. */
  maxLlmCalls: range(0, 10_000, { int: true }).default(20),
  /** LLM tokens (prompt and completion) per run. */
  maxLlmTokens: range(0, 100_000_000, { int: true }).default(200_000),
});
export type Limits = z.infer<typeof Limits>;
export type LimitsInput = z.input<typeof Limits>;

const DEFAULT_LIMITS: Limits = Limits.parse({});

/** The safety settings a user gives the engine (options, CLI flags, environment). */
export const SafetySettings = z.strictObject({
  /** Extra trusted hosts: `host`, `host:port` or `*.example.com`. */
  allowHosts: z.array(z.string().min(1)).default([]),
  /** Let `db_query` write (otherwise it runs in a READ ONLY transaction). */
  allowWrites: z.boolean().default(false),
  /** Default: auto for plans the user wrote, ask for plans a model wrote. */
  approve: z.enum(ApproveMode).optional(),
  limits: Limits.default(DEFAULT_LIMITS),
});
export type SafetySettingsInput = z.input<typeof SafetySettings>;
export type SafetySettings = z.infer<typeof SafetySettings>;

/**
 * The safety policy of one run, fixed when it starts and kept in its state (so a resume in another
 * process applies the same rules). Plain JSON.
 */
export interface RunSafety {
  author: PlanAuthor;
  /** Hosts the user wrote (goal text, plan file, variables, allowlist): trusted for this run. */
  trustedHosts: string[];
  allowWrites: boolean;
  approve: ApproveMode;
  limits: Limits;
  /** Environment variables the plan may read with `{{env.NAME}}`: those the user's plan names (none for a model's). */
  envNames?: string[];
}

/** The policy of a run whose state predates safety policies, or of actions run outside a run. */
export function defaultRunSafety(overrides: Partial<RunSafety> = {}): RunSafety {
  return {
    author: "user",
    trustedHosts: [],
    allowWrites: false,
    approve: "auto",
    limits: DEFAULT_LIMITS,
    ...overrides,
  };
}

/**
 * A run's policy from its context; runs from before policies get the defaults, and a run checkpointed
 * before a limit existed gets that limit's default (a resume never runs without a bound).
 */
export function safetyOf(context: { safety?: RunSafety }): RunSafety {
  const safety = context.safety;
  if (!safety) return defaultRunSafety();
  return { ...safety, limits: { ...DEFAULT_LIMITS, ...safety.limits } };
}

/** Who wrote a plan, from the planner that produced it. */
export function authorOf(planner: PlanOrigin): PlanAuthor {
  return planner === "llm" ? "model" : "user";
}
