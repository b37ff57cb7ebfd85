import type { RetryPolicy } from "../model/plan-schema.js";

const BACKOFF_FACTOR = 2;

/**
 * Delay before retry number `attempt` (1 = first retry): p-retry's policy, `backoff_ms * 2^(attempt-1)`
 * scaled by a random factor in [1, 2) (jitter), capped at `max_backoff_ms`, and never shorter than
 * the server's `Retry-After`.
 */
export function backoffDelay(
  attempt: number,
  policy: Pick<RetryPolicy, "backoff_ms" | "max_backoff_ms">,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const exponential = policy.backoff_ms * BACKOFF_FACTOR ** Math.max(0, attempt - 1);
  const jittered = Math.min(policy.max_backoff_ms, Math.round(exponential * (1 + random())));
  return Math.max(jittered, retryAfterMs ?? 0);
}
