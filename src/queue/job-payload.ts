import { z } from "zod";
import { ApproveMode } from "../model/approve-mode.js";
import { ErrorCode } from "../model/errors.js";
import type { AttemptOutcome, TaskAttempt } from "../model/executor.js";
import { ActionType } from "../model/plan-schema.js";
import { Limits, PlanAuthor, type RunSafety } from "../model/safety-policy.js";
import { VerifyRule } from "../model/verify-rule.js";

/**
 * What travels through Redis: a job's data is the attempt (TaskAttempt), its return value the outcome. Both are
 * read back with these schemas: a worker runs nothing it cannot read, and a coordinator delivers no outcome it
 * cannot read. The safety policy is the run's, fixed when the run started; a worker may narrow it, never widen it.
 */
const RunSafetySchema = z.object({
  author: z.enum(PlanAuthor),
  trustedHosts: z.array(z.string()),
  allowWrites: z.boolean(),
  approve: z.enum(ApproveMode),
  limits: Limits,
  envNames: z.array(z.string()).optional(),
}) satisfies z.ZodType<RunSafety, unknown>;

export const JobAttempt = z.object({
  id: z.string().min(1),
  runId: z.string().min(1),
  taskId: z.string().min(1),
  attempt: z.number().int().min(1),
  actionType: z.enum(ActionType),
  config: z.record(z.string(), z.unknown()),
  results: z.record(z.string(), z.unknown()),
  variables: z.record(z.string(), z.unknown()),
  dependencies: z.array(z.string()),
  safety: RunSafetySchema,
  verify: z.array(VerifyRule).optional(),
  /** W3C trace context of the attempt's span (tracing on); malformed ones are ignored by the worker's tracer. */
  trace: z.object({ traceparent: z.string().max(128) }).optional(),
}) satisfies z.ZodType<TaskAttempt, unknown>;

const SerializedErrorSchema = z.object({
  code: z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]),
  message: z.string(),
  retryable: z.boolean(),
  retry_after_ms: z.number().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});

/** A job's return value: the attempt's outcome without the ids (the job id says which attempt). */
export const JobOutcome = z.object({
  ok: z.boolean(),
  result: z.unknown().optional(),
  error: SerializedErrorSchema.optional(),
  startedAt: z.number(),
  endedAt: z.number(),
});
export type JobOutcome = z.infer<typeof JobOutcome>;

/** The attempt's outcome as the executor port delivers it. */
export function outcomeOf(attempt: TaskAttempt, job: JobOutcome): AttemptOutcome {
  const { id: attemptId, runId, taskId } = attempt;
  const base = { attemptId, runId, taskId, attempt: attempt.attempt, ok: job.ok, startedAt: job.startedAt, endedAt: job.endedAt };
  return job.ok ? { ...base, result: job.result } : { ...base, ...(job.error ? { error: job.error } : {}) };
}
