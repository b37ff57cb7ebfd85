import { setLongTimeout } from "../../utils/timer.js";
import { CancelledError, type WorkflowError } from "../model/errors.js";
import { type AttemptOutcome, attemptId, type Executor, type TaskAttempt } from "../model/executor.js";
import type { TaskState } from "../model/task-state.js";
import { findReferences } from "../plan/template.js";
import { safetyOf } from "../model/safety-policy.js";
import type { RunView } from "./run-view.js";
import { EventOutbox } from "./event-outbox.js";
import { ensureWorkflowError } from "../model/errors.js";
import { needsPreparation, prepareTask } from "./prepare-task.js";
import { isSettled } from "./task-index.js";

interface InFlight {
  attemptId: string;
  attempt: number;
  settled: () => void;
  done: Promise<void>;
}

/**
 * The live side of one run: the attempts in flight (handed to the executor), the outcomes not yet written
 * to the state, the run's cancellation and its events. Attempts keep running across graph steps, so a ready
 * task never waits for a sibling (no superstep barrier); the execute step only waits for the next outcome.
 */
export class RunLoop {
  readonly events: EventOutbox;
  private readonly inflight = new Map<string, InFlight>();
  private outcomes: AttemptOutcome[] = [];
  private wake: (() => void) | undefined;
  private controller = new AbortController();
  #cancelError: WorkflowError | undefined;

  constructor(
    readonly runId: string,
    private readonly executor: Executor,
    private readonly now: () => number = Date.now,
  ) {
    this.events = new EventOutbox(runId, now);
  }

  /** Why the run was cancelled, when it was for a reason with its own code (a deadline). */
  get cancelError(): WorkflowError | undefined {
    return this.#cancelError;
  }

  /** Aborted when the run is cancelled or fails. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get inFlightCount(): number {
    return this.inflight.size;
  }

  /** True when this attempt is in flight or has ended with its outcome not yet handed over. */
  hasStarted(id: string, attempt: number): boolean {
    return this.inflight.get(id)?.attempt === attempt || this.outcomes.some((o) => o.taskId === id && o.attempt === attempt);
  }

  /**
   * Launch the attempt the state records for `task` (its `attempts`), with the results of the tasks its config
   * refers to. `afterCommit`: announce it once the step that marks it running is committed.
   */
  start(view: RunView, task: TaskState, afterCommit = false): void {
    const started = { type: "task_started" as const, task_id: task.id, action_type: task.action_type, attempt: task.attempts };
    if (afterCommit) this.events.emitAfterCommit(started);
    else this.events.emit(started);
    const attempt = this.attemptOf(view, task);
    let settled: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      settled = resolve;
    });
    this.inflight.set(task.id, { attemptId: attempt.id, attempt: attempt.attempt, settled, done });
    const deliver = (outcome: AttemptOutcome) => this.receive(outcome);
    if (!this.signal.aborted && needsPreparation(task)) this.prepareThenLaunch(view, task, attempt, deliver);
    else if (!this.signal.aborted) this.executor.launch(attempt, deliver);
    else {
      const at = this.now();
      const error = (this.#cancelError ?? new CancelledError(String(this.signal.reason ?? "cancelled"))).toJSON();
      queueMicrotask(() =>
        deliver({
          attemptId: attempt.id,
          runId: this.runId,
          taskId: task.id,
          attempt: attempt.attempt,
          ok: false,
          error,
          startedAt: at,
          endedAt: at,
        }),
      );
    }
  }

  /**
   * Evaluate the task's condition and read its list here, in the run loop (they decide what runs, from the
   * state: no action, no executor); then launch the action, or deliver the decision as the attempt's outcome.
   */
  private prepareThenLaunch(view: RunView, task: TaskState, attempt: TaskAttempt, deliver: (o: AttemptOutcome) => void): void {
    const startedAt = this.now();
    const base = { attemptId: attempt.id, runId: this.runId, taskId: task.id, attempt: attempt.attempt, startedAt };
    prepareTask(view, task, this.signal).then(
      (prepared) => {
        if (prepared.kind === "control") deliver({ ...base, ok: true, control: prepared.control, endedAt: this.now() });
        else if (this.signal.aborted) {
          const error = (this.#cancelError ?? new CancelledError(String(this.signal.reason ?? "cancelled"))).toJSON();
          deliver({ ...base, ok: false, error, endedAt: this.now() });
        } else this.executor.launch(attempt, deliver);
      },
      (err: unknown) => deliver({ ...base, ok: false, error: ensureWorkflowError(err).toJSON(), endedAt: this.now() }),
    );
  }

  /**
   * Wait until at least one outcome is queued, the time `until` (epoch ms) passes, or the run is
   * aborted; then let the event loop finish its current phase (one `setImmediate`) and hand over every
   * queued outcome. That turn is what batches: attempts whose timers or I/O are due together deliver in the
   * same phase, each in its own microtask, so without it the first would wake the step alone and every
   * other would cost a step (and a checkpoint) of its own.
   */
  async next(until?: number): Promise<AttemptOutcome[]> {
    if (this.outcomes.length === 0 && !this.signal.aborted) {
      if (this.inflight.size === 0 && until === undefined) return [];
      await new Promise<void>((resolve) => {
        const done = () => {
          timer?.clear();
          this.signal.removeEventListener("abort", done);
          this.wake = undefined;
          resolve();
        };
        // A retry time far away (a Retry-After from an old checkpoint) must not overflow Node's timer.
        const timer = until === undefined ? undefined : setLongTimeout(done, until - this.now());
        this.signal.addEventListener("abort", done, { once: true });
        this.wake = done;
      });
    }
    return this.delivered();
  }

  /**
   * The outcomes delivered by the end of the event loop's current phase, without waiting for one. A
   * cancelled run is ended by its step at once: its attempts' CANCELLED outcomes are not waited for.
   */
  async delivered(): Promise<AttemptOutcome[]> {
    if (this.inflight.size > 0 && !this.signal.aborted) await new Promise<void>((resolve) => setImmediate(resolve));
    const ready = this.outcomes;
    this.outcomes = [];
    return ready;
  }

  /** Abort every attempt in flight (and any later start) with `reason`; `error` (e.g. RUN_DEADLINE) is what they fail with. */
  cancel(reason: string, error?: WorkflowError): void {
    if (this.controller.signal.aborted) return;
    this.#cancelError = error;
    this.controller.abort(reason);
    for (const f of this.inflight.values()) this.executor.abort(f.attemptId, reason);
  }

  /**
   * Take attempts again after a cancel (a failed run's rollback runs its compensations); the attempts
   * cancelled before have settled (`settle`).
   */
  reopen(): void {
    if (!this.controller.signal.aborted) return;
    this.controller = new AbortController();
    this.#cancelError = undefined;
  }

  /** Wait for every attempt in flight to settle (after cancel), dropping their outcomes. */
  async settle(): Promise<void> {
    await Promise.all([...this.inflight.values()].map((f) => f.done));
    this.outcomes = [];
  }

  /** An outcome from the executor: kept only for the attempt in flight (a repeat or a stale one changes nothing). */
  private receive(outcome: AttemptOutcome): void {
    const f = this.inflight.get(outcome.taskId);
    if (!f || f.attemptId !== outcome.attemptId) return;
    this.inflight.delete(outcome.taskId);
    f.settled();
    const cancelled = !outcome.ok && this.signal.aborted && outcome.error?.code === "CANCELLED";
    this.outcomes.push(cancelled && this.#cancelError ? { ...outcome, error: this.#cancelError.toJSON() } : outcome);
    this.wake?.();
  }

  private attemptOf(view: RunView, task: TaskState): TaskAttempt {
    return {
      id: attemptId(this.runId, task.id, task.attempts),
      runId: this.runId,
      taskId: task.id,
      attempt: task.attempts,
      actionType: task.action_type,
      config: task.action_config,
      results: referencedResults(task.action_config, view.tasks),
      variables: (view.memory.variables ?? {}) as Record<string, unknown>,
      dependencies: task.dependencies,
      safety: safetyOf(view.context),
      ...(task.verify ? { verify: task.verify } : {}),
    };
  }
}

/** Results of the finished tasks that `config` refers to (not of every task: plans can be large). */
function referencedResults(config: unknown, tasks: Readonly<Record<string, TaskState>>): Record<string, unknown> {
  const results: Record<string, unknown> = {};
  for (const { root } of findReferences(config).refs) {
    const t = tasks[root];
    // A dependency skipped by its condition reads as null (for dependents that run anyway).
    if (isSettled(t)) results[root] = t?.result ?? null;
  }
  return results;
}
