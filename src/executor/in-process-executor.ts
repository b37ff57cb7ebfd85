import { CancelledError, ensureWorkflowError } from "../model/errors.js";
import type { AttemptOutcome, Executor, TaskAttempt } from "../model/executor.js";

/** Runs one attempt: the action with its guards (see run-attempt.ts). */
export type AttemptRunner = (attempt: TaskAttempt, signal: AbortSignal) => Promise<unknown>;

interface Running {
  controller: AbortController;
  done: Promise<void>;
}

/**
 * The executor that runs attempts in this process, as promises: a ready task never waits for a slow
 * sibling. Each attempt gets its own AbortSignal; an aborted attempt ends as CANCELLED.
 */
export class InProcessExecutor implements Executor {
  private readonly running = new Map<string, Running>();

  constructor(
    private readonly run: AttemptRunner,
    private readonly now: () => number = Date.now,
  ) {}

  launch(attempt: TaskAttempt, deliver: (outcome: AttemptOutcome) => void): void {
    const controller = new AbortController();
    const startedAt = this.now();
    const { id: attemptId, runId, taskId } = attempt;
    const finish = (ok: boolean, value: unknown) => {
      this.running.delete(attemptId);
      const base = { attemptId, runId, taskId, attempt: attempt.attempt, ok, startedAt, endedAt: this.now() };
      deliver(ok ? { ...base, result: value } : { ...base, error: value as AttemptOutcome["error"] });
    };
    const done = Promise.resolve()
      .then(() => {
        if (controller.signal.aborted) throw new CancelledError(String(controller.signal.reason ?? "cancelled"));
        return this.run(attempt, controller.signal);
      })
      .then(
        (result) => finish(true, result),
        (err: unknown) => {
          const error = controller.signal.aborted
            ? new CancelledError(String(controller.signal.reason ?? "cancelled"))
            : ensureWorkflowError(err);
          finish(false, error.toJSON());
        },
      );
    this.running.set(attemptId, { controller, done });
  }

  abort(attemptId: string, reason: string): void {
    this.running.get(attemptId)?.controller.abort(reason);
  }

  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()].map((r) => r.done));
  }
}
