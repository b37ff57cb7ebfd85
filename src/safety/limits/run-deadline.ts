import { ErrorCode, WorkflowError } from "../../model/errors.js";
import type { RunSafety } from "../../model/safety-policy.js";
import { setLongTimeout } from "../../../utils/timer.js";

/**
 * Arm a run's deadline (limits.runDeadlineSeconds, counted from the run's start, across resumes):
 * when it passes, `cancel` gets a RUN_DEADLINE error. Returns the function that disarms it. A deadline
 * past what one Node timer holds (24.8 days; the limit allows 30) is chained, not fired at once.
 */
export function armRunDeadline(
  safety: RunSafety | undefined,
  startedAt: string | undefined,
  cancel: (reason: string, error: WorkflowError) => void,
  now: number = Date.now(),
): () => void {
  const seconds = safety?.limits.runDeadlineSeconds;
  if (seconds === undefined) return () => undefined;
  const started = startedAt ? Date.parse(startedAt) : now;
  const remaining = Math.max(0, (Number.isNaN(started) ? now : started) + seconds * 1000 - now);
  const timer = setLongTimeout(
    () => {
      const error = new WorkflowError(
        ErrorCode.RunDeadline,
        `The run passed its deadline of ${seconds} s and was stopped; tasks in flight were cancelled and the rest skipped. ` +
          "Raise the limit (limits.runDeadlineSeconds) if the work needs more time.",
        { retryable: false, details: { limit_seconds: seconds } },
      );
      cancel(error.message, error);
    },
    remaining,
    { unref: true },
  );
  return () => timer.clear();
}
