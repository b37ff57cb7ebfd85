import type { Advice as AdvisorAdvice } from "../model/advisor.js";
import type { SerializedError } from "../model/errors.js";
import { RetryPolicy } from "../model/plan-schema.js";
import type { TaskState } from "../model/task-state.js";
import { MAX_RETRY_DELAY_MS } from "../model/plan-schema.js";
import { backoffDelay } from "./backoff.js";

const DEFAULT_RETRY: RetryPolicy = RetryPolicy.parse({});

/** What the failure node does with one failed attempt. */
export type FailureDecision =
  | { kind: "retry"; delayMs: number; reason: string }
  | { kind: "modify"; patch: Record<string, unknown>; reason: string }
  | { kind: "skip"; reason: string }
  | { kind: "fail"; reason: string };

/** A suggestion from outside the rules (the LLM failure advisor). */
/** Advice as the policy reads it (how much it cost is the caller's business). */
export type Advice = Omit<AdvisorAdvice, "usage">;

function retryPolicyOf(task: TaskState): RetryPolicy {
  return task.retry ?? DEFAULT_RETRY;
}

/** True when the rules leave the decision open and an advisor may be asked (no explicit on_failure). */
export function needsAdvice(task: TaskState, error: SerializedError): boolean {
  if (task.on_failure !== undefined || error.code === "CANCELLED") return false;
  return !(error.retryable && task.attempts < retryPolicyOf(task).max_attempts);
}

/**
 * The failure policy. Retryable errors are retried with backoff while attempts remain; then the
 * task's `on_failure` decides: `skip`, `fail` (default), `retry` (retry even non-retryable errors
 * while attempts remain) or `{modify: patch}` (applied once). Advice is bounded by the same limits,
 * so the loop always ends: every path either consumes an attempt, applies the one modify, or ends.
 */
export function decideFailure(
  task: TaskState,
  error: SerializedError,
  advice?: Advice,
  random: () => number = Math.random,
): FailureDecision {
  const policy = retryPolicyOf(task);
  const attemptsLeft = task.attempts < policy.max_attempts;
  const retry = (reason: string): FailureDecision => ({
    kind: "retry",
    delayMs: backoffDelay(task.attempts, policy, error.retry_after_ms, random),
    reason: reason + cappedNote(error.retry_after_ms),
  });
  if (error.code === "CANCELLED") return { kind: "fail", reason: "the task was cancelled" };
  if (error.retryable && attemptsLeft) return retry(`retryable ${error.code}, attempt ${task.attempts} of ${policy.max_attempts}`);
  const onFailure = task.on_failure;
  if (onFailure === "skip") return { kind: "skip", reason: `on_failure is skip: ${error.message}` };
  if (onFailure === "retry" && attemptsLeft) return retry(`on_failure is retry, attempt ${task.attempts} of ${policy.max_attempts}`);
  if (typeof onFailure === "object" && !task.modified) {
    return { kind: "modify", patch: onFailure.modify, reason: "on_failure gives a patch for the config" };
  }
  if (advice && onFailure === undefined) return fromAdvice(task, advice, attemptsLeft, retry);
  return { kind: "fail", reason: `${error.code}: ${error.message}` };
}

/** Says so when a server's Retry-After was longer than the engine waits. */
function cappedNote(retryAfterMs: number | undefined): string {
  if (retryAfterMs === undefined || !(retryAfterMs > MAX_RETRY_DELAY_MS)) return "";
  return `; the server's Retry-After of ${Math.round(retryAfterMs / 1000)} s is capped at ${MAX_RETRY_DELAY_MS / 1000} s`;
}

function fromAdvice(task: TaskState, advice: Advice, attemptsLeft: boolean, retry: (reason: string) => FailureDecision): FailureDecision {
  const why = `failure advisor: ${advice.reason}`;
  switch (advice.decision) {
    case "skip":
      return { kind: "skip", reason: why };
    case "retry":
      return attemptsLeft ? retry(why) : { kind: "fail", reason: `${why} (no attempts left)` };
    case "modify":
      return !task.modified && advice.patch && Object.keys(advice.patch).length
        ? { kind: "modify", patch: advice.patch, reason: why }
        : { kind: "fail", reason: `${why} (no usable patch)` };
    case "fail":
      return { kind: "fail", reason: why };
  }
}

/** Deep-merge a patch into an action config (objects merge, everything else replaces). */
export function mergePatch(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (key === "__proto__" || key === "constructor" || key === "prototype") continue;
    const current = out[key];
    const bothObjects = [current, value].every((v) => typeof v === "object" && v !== null && !Array.isArray(v));
    out[key] = bothObjects ? mergePatch(current as Record<string, unknown>, value as Record<string, unknown>) : value;
  }
  return out;
}
