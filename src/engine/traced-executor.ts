import type { AttemptOutcome, Executor, TaskAttempt } from "../model/executor.js";
import type { AttemptTrace, RunTrace } from "../model/telemetry.js";

/**
 * The run's executor with a span per attempt (tracing on only: without tracing the run loop gets the executor
 * itself). The span opens at launch and ends at the outcome's delivery, so a queued attempt's wait shows; the
 * attempt carries the span (`trace`), which a worker continues and api_call sends as `traceparent`.
 */
export function tracedExecutor(executor: Executor, run: RunTrace): Executor {
  const open = new Map<string, AttemptTrace>();
  return {
    launch(attempt: TaskAttempt, deliver: (outcome: AttemptOutcome) => void): void {
      const span = run.startAttempt(attempt);
      open.set(attempt.id, span);
      const traced = span.carrier ? { ...attempt, trace: span.carrier } : attempt;
      executor.launch(traced, (outcome) => {
        if (open.get(outcome.attemptId) === span) {
          open.delete(outcome.attemptId);
          span.end(outcome);
        }
        deliver(outcome);
      });
    },
    abort: (attemptId, reason) => executor.abort(attemptId, reason),
    drain: () => executor.drain(),
  };
}
