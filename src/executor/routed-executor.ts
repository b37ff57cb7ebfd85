import type { ActionType } from "../model/plan-schema.js";
import type { AttemptOutcome, Executor, QueueMetrics, TaskAttempt } from "../model/executor.js";

/**
 * Attempts of some action types to one executor, the rest to another: `workflow` tasks start child runs, which the
 * coordinating engine drives, so they stay in its process when the other tasks go to queue workers.
 */
export class RoutedExecutor implements Executor {
  private readonly owner = new Map<string, Executor>();

  constructor(
    private readonly local: Executor,
    private readonly localTypes: ReadonlySet<ActionType>,
    private readonly rest: Executor,
  ) {}

  launch(attempt: TaskAttempt, deliver: (outcome: AttemptOutcome) => void): void {
    const executor = this.localTypes.has(attempt.actionType) ? this.local : this.rest;
    this.owner.set(attempt.id, executor);
    executor.launch(attempt, (outcome) => {
      this.owner.delete(attempt.id);
      deliver(outcome);
    });
  }

  abort(attemptId: string, reason: string): void {
    (this.owner.get(attemptId) ?? this.rest).abort(attemptId, reason);
  }

  async drain(): Promise<void> {
    await Promise.all([this.local.drain(), this.rest.drain()]);
  }

  async close(): Promise<void> {
    await Promise.all([this.local.close?.(), this.rest.close?.()]);
  }

  async queueMetrics(): Promise<QueueMetrics[]> {
    return (await this.rest.queueMetrics?.()) ?? [];
  }
}
