import { z } from "zod";

/**
 * One post-condition of a task: a JSONata expression over `{result, config, variables}` that must be true
 * once the action has succeeded; false makes the attempt fail with VERIFY_FAILED and `message`.
 */
export const VerifyRule = z.strictObject({
  assert: z.string().min(1, "assert needs a JSONata expression").max(4000),
  message: z.string().min(1).max(500).optional(),
});
export type VerifyRule = z.infer<typeof VerifyRule>;

/** A task's `verify`: one rule or a list (at most 20), kept as a list. */
export const VerifyRules = z
  .union([VerifyRule, z.array(VerifyRule).min(1).max(20, "at most 20 verify rules a task")])
  .transform((v) => (Array.isArray(v) ? v : [v]));

/**
 * A task's compensation: an action of its own that undoes what the task did, run when a failed run is rolled
 * back. `{{self.path}}` refers to the task's own result (e.g. `DELETE /records/{{self.data.id}}`).
 */
export const Compensation = z.strictObject({
  action_type: z.enum(["api_call", "db_query", "file_operation", "transform_data", "wait"]),
  action_config: z.record(z.string(), z.unknown()),
});
export type Compensation = z.infer<typeof Compensation>;

/** What a run does when it fails: stop (the default), or run the compensations of what completed. */
export const RunFailurePolicy = ["stop", "compensate"] as const;
export type RunFailurePolicy = (typeof RunFailurePolicy)[number];

/** The root `{{self...}}` references in a compensation: the task's own result. */
export const SELF_ROOT = "self";
