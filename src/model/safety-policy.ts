import { z } from "zod";
import type { PlanOrigin } from "./planner.js";

/**
 * How mutating tasks (non-GET api_call, SQL writes, file write/append/delete) are let through:
 * auto runs them; ask asks a person (on a terminal, or by pausing the run until `runs approve`/`reject`);
 * never refuses them.
 */
export const ApproveMode = ["auto", "ask", "never"] as const;
export type ApproveMode = (typeof ApproveMode)[number];

/** Who wrote the plan: the user (a plan file, or a goal the rule planner only rephrased) or a model. */
export const PlanAuthor = ["user", "model"] as const;
export type PlanAuthor = (typeof PlanAuthor)[number];

/** Bounds that end a task or a run with a clear error instead of a hang or an unbounded cost. */
export const Limits = z.strictObject({
  /** Tasks per plan. */
  maxTasks: z.number().int().min(1).max(10_000).default(1_000),
  /** Bytes of one HTTP response body. */
  maxResponseBytes: z.number().int().min(1).max(1024 ** 3).default(10 * 1024 * 1024),
  /** Bytes of one file read or written. */
  maxFileBytes: z.number().int().min(1).max(1024 ** 3).default(50 * 1024 * 1024),
  /** Rows one query may return. */
  maxRows: z.number().int().min(1).max(10_000_000).default(10_000),
  /** PostgreSQL statement_timeout of one query, in seconds. */
  statementTimeoutSeconds: z.number().positive().max(86_400).default(30),
  /** Wall time of one task attempt, in seconds (polling api_calls have their own deadline on top). */
  taskTimeoutSeconds: z.number().positive().max(86_400 * 7).default(600),
  /** Wall time of a whole run, in seconds; unset: none. */
  runDeadlineSeconds: z.number().positive().max(86_400 * 30).optional(),
  /** LLM calls (planner and failure advisor together) per run. */
  maxLlmCalls: z.number().int().min(0).max(10_000).default(20),
  /** LLM tokens (prompt and completion) per run. */
  maxLlmTokens: z.number().int().min(0).max(100_000_000).default(200_000),
});
export type Limits = z.infer<typeof Limits>;
export type LimitsInput = z.input<typeof Limits>;

/** The safety settings a user gives the engine (options, CLI flags, environment). */
export const SafetySettings = z.strictObject({
  /** Extra trusted hosts: `host`, `host:port` or `*.example.com`. */
  allowHosts: z.array(z.string().min(1)).default([]),
  /** Let `db_query` write (otherwise it runs in a READ ONLY transaction). */
  allowWrites: z.boolean().default(false),
  /** Default: auto for plans the user wrote, ask for plans a model wrote. */
  approve: z.enum(ApproveMode).optional(),
  limits: Limits.default(Limits.parse({})),
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
    limits: Limits.parse({}),
    ...overrides,
  };
}

/** A run's policy from its context; runs from before policies get the defaults. */
export function safetyOf(context: { safety?: RunSafety }): RunSafety {
  return context.safety ?? defaultRunSafety();
}

/** Who wrote a plan, from the planner that produced it. */
export function authorOf(planner: PlanOrigin): PlanAuthor {
  return planner === "llm" ? "model" : "user";
}
