import { z } from "zod";
import { ApiCallConfig } from "./action-config/api-call.js";
import { DbQueryConfig } from "./action-config/db-query.js";
import { FileOperationConfig } from "./action-config/file-operation.js";
import { TransformDataConfig } from "./action-config/transform-data.js";
import { WaitConfig } from "./action-config/wait.js";
import { WorkflowCallConfig } from "./action-config/workflow.js";

import { Compensation, RunFailurePolicy, VerifyRules } from "./verify-rule.js";

export const ActionType = ["api_call", "db_query", "file_operation", "transform_data", "wait", "workflow"] as const;
export type ActionType = (typeof ActionType)[number];

/** The config schema of each action type; a missing type is a compile error. */
export const ActionConfigSchemas = {
  api_call: ApiCallConfig,
  db_query: DbQueryConfig,
  file_operation: FileOperationConfig,
  transform_data: TransformDataConfig,
  wait: WaitConfig,
  workflow: WorkflowCallConfig,
} as const satisfies Record<ActionType, z.ZodType>;

/** The most items one `for_each` may run: a list an input or a response controls cannot grow a run without bound. */
export const MAX_LOOP_ITEMS = 10_000;
/** The longest `when` expression. */
const MAX_CONDITION_CHARS = 4_000;

export const TASK_ID = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

/** Names every JavaScript object has (`__proto__`, `constructor`, `toString`...): as task ids they would clash with state lookups. */
export function isReservedTaskId(id: string): boolean {
  return Object.hasOwn(Object.prototype, id);
}

/**
 * The longest wait before a retry, whatever the backoff or a server's `Retry-After` says: one hour. A longer
 * Retry-After is capped (and the retry's reason says so), so a retry is always a timer Node can schedule.
 */
export const MAX_RETRY_DELAY_MS = 3_600_000;

export const RetryPolicy = z.strictObject({
  max_attempts: z.number().int().min(1).max(100).default(3),
  backoff_ms: z.number().int().min(0).max(600_000).default(500),
  max_backoff_ms: z.number().int().min(0).max(MAX_RETRY_DELAY_MS).default(30_000),
});
export type RetryPolicy = z.infer<typeof RetryPolicy>;

/** What to do once a task has finally failed; `{modify: patch}` merges the patch into action_config and retries once. */
const OnFailure = z.union([z.enum(["retry", "skip", "fail"]), z.strictObject({ modify: z.record(z.string(), z.unknown()) })]);

/** The loose task shape: action_config is checked per type in validate.ts, so errors point at the right field. */
export const TaskSpec = z.strictObject({
  id: z
    .string()
    .regex(TASK_ID, "ids are letters, digits, _ and -, starting with a letter or _ (max 64)")
    .refine((id) => !isReservedTaskId(id), {
      error: (issue) => `"${String(issue.input)}" is a name every JavaScript object has and cannot be a task id; rename the task`,
    }),
  name: z.string().min(1).max(200).optional(),
  description: z.string().max(2000).optional(),
  action_type: z.enum(ActionType),
  action_config: z.record(z.string(), z.unknown()),
  dependencies: z.array(z.string()).default([]),
  retry: RetryPolicy.optional(),
  on_failure: OnFailure.optional(),
  /**
   * A JSONata condition over `inputs`, the variables and the results of the task's dependencies (read once,
   * before the task's first attempt). False: the task ends `skipped` (skipped_by "condition"), not failed.
   */
  when: z.string().min(1).max(MAX_CONDITION_CHARS).optional(),
  /** What a dependency skipped by its condition means here: "skip" this task too (default) or "run" it anyway. */
  on_dependency_skipped: z.enum(["skip", "run"]).optional(),
  /** Run the action once per item of this list (a `{{reference}}` or a literal list), `{{item}}` and `{{index}}` bound. */
  for_each: z.union([z.string().min(1), z.array(z.unknown()).max(MAX_LOOP_ITEMS)]).optional(),
  /** At most this many items of a `for_each` at once (and never more than the run's concurrency). */
  concurrency: z.number().int().min(1).max(1024).optional(),

  /** Post-conditions on the result (src/model/verify-rule.ts): a false one fails the attempt with VERIFY_FAILED. */
  verify: VerifyRules.optional(),
  /** What undoes this task when a failed run is rolled back (`{{self.path}}`: its own result). */
  compensate: Compensation.optional(),
});
export type TaskSpec = z.infer<typeof TaskSpec>;
export type TaskSpecInput = z.input<typeof TaskSpec>;

/** The plan contract shared by both planners, `--plan` files and `--dry-run` output. */
export const PlanSchema = z.strictObject({
  goal: z.string().optional(),
  variables: z.record(z.string(), z.unknown()).optional(),
  tasks: z.array(TaskSpec).min(1, "a plan needs at least one task").max(10_000),
  /** A plan file may let its db_query tasks write; ignored (with a warning) in a plan a planner produced. */
  allow_writes: z.boolean().optional(),
  /** The library workflow this plan was compiled from, `name@version` (a run records and keeps it). */
  workflow: z.string().max(200).optional(),
  /** What the run returns: names to `{{references}}` into its tasks' results (a workflow's `outputs`). */
  outputs: z.record(z.string(), z.string()).optional(),

  /** When the run fails: `stop` (default), or `compensate`: undo what completed, newest first (README, Rollback). */
  on_failure: z.enum(RunFailurePolicy).optional(),
});
export type PlanInput = z.input<typeof PlanSchema>;

/** A validated plan: ids unique, dependencies (declared and implied by references) exist, acyclic. */
export interface Plan {
  goal?: string;
  allow_writes?: boolean;
  on_failure?: RunFailurePolicy;
  variables?: Record<string, unknown>;
  tasks: TaskSpec[];
  workflow?: string;
  outputs?: Record<string, string>;
}
