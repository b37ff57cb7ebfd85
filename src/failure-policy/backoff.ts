import { MAX_RETRY_DELAY_MS, type RetryPolicy } from "../model/plan-schema.js";

const BACKOFF_FACTOR = 2;

/**
 * Delay before retry number `attempt` (1 = first retry): p-retry's policy, `backoff_ms * 2^(attempt-1)`
 * scaled by a random factor in [1, 2) (jitter), capped at `max_backoff_ms`, and never shorter than
 * the server's `Retry-After`; never longer than MAX_RETRY_DELAY_MS (a Retry-After of days, or one that is not a
 * number, would otherwise become a timer Node cannot schedule, which fires after 1 ms: a retry that spins).
 */
export function backoffDelay(
  attempt: number,
  policy: Pick<RetryPolicy, "backoff_ms" | "max_backoff_ms">,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const exponential = policy.backoff_ms * BACKOFF_FACTOR ** Math.max(0, attempt - 1);
  const jittered = Math.min(policy.max_backoff_ms, Math.round(exponential * (1 + random())));
  return Math.min(MAX_RETRY_DELAY_MS, Math.max(jittered, boundedRetryAfter(retryAfterMs)));
}

/** A server's Retry-After as a delay the engine honours: 0 when absent or not a number, at most MAX_RETRY_DELAY_MS. */
export function boundedRetryAfter(retryAfterMs: number | undefined): number {
  if (retryAfterMs === undefined || Number.isNaN(retryAfterMs) || retryAfterMs <= 0) return 0;
  return Math.min(retryAfterMs, MAX_RETRY_DELAY_MS);
}
