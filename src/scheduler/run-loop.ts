import { CancelledError, ensureWorkflowError, type SerializedError, type WorkflowError } from "../model/errors.js";
import type { EventListener, WorkflowEvent } from "../model/events.js";

/** How one attempt of a task ended. */
export interface TaskOutcome {
  id: string;
  attempt: number;
  ok: boolean;
  result?: unknown;
  error?: SerializedError;
  startedAt: number;
  endedAt: number;
}

interface InFlight {
  attempt: number;
  controller: AbortController;
  done: Promise<void>;
}

/**
 * The live, in-process side of one run: tasks in flight and the outcomes not yet written to state.
 * Tasks keep running across graph steps, so a ready task never waits for a sibling (no superstep
 * barrier); the execute node only waits for the next outcome.
 */
export class RunRuntime {
  private readonly inflight = new Map<string, InFlight>();
  private outcomes: TaskOutcome[] = [];
  private wake: (() => void) | undefined;
  private readonly controller = new AbortController();
  #cancelError: WorkflowError | undefined;
  private readonly listeners = new Set<EventListener>();
  private deferred: WorkflowEvent[] = [];

  constructor(
    readonly runId: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Why the run was cancelled, when it was for a reason with its own code (a deadline). */
  get cancelError(): WorkflowError | undefined {
    return this.#cancelError;
  }

  /** Aborted when the run is cancelled or fails: every task's signal follows it. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True when this attempt is in flight or has ended with its outcome not yet handed over. */
  hasStarted(id: string, attempt: number): boolean {
    return this.inflight.get(id)?.attempt === attempt || this.outcomes.some((o) => o.id === id && o.attempt === attempt);
  }

  get inFlightCount(): number {
    return this.inflight.size;
  }

  /** Start one attempt; its outcome is queued for the execute node when it ends. */
  launch(id: string, attempt: number, work: (signal: AbortSignal) => Promise<unknown>): void {
    const controller = new AbortController();
    if (this.signal.aborted) controller.abort(this.signal.reason);
    const startedAt = this.now();
    const finish = (outcome: Omit<TaskOutcome, "id" | "attempt" | "startedAt" | "endedAt">) => {
      this.inflight.delete(id);
      this.outcomes.push({ id, attempt, startedAt, endedAt: this.now(), ...outcome });
      this.notify();
    };
    const done = Promise.resolve()
      .then(() => {
        if (controller.signal.aborted) throw new CancelledError(String(controller.signal.reason ?? "cancelled"));
        return work(controller.signal);
      })
      .then(
        (result) => finish({ ok: true, result }),
        (err: unknown) => {
          const error = controller.signal.aborted
            ? (this.#cancelError ?? new CancelledError(String(controller.signal.reason ?? "cancelled")))
            : ensureWorkflowError(err);
          finish({ ok: false, error: error.toJSON() });
        },
      );
    this.inflight.set(id, { attempt, controller, done });
  }

  /**
   * Wait until at least one outcome is queued, the time `until` (epoch ms) passes, or the run is
   * aborted; then hand over every queued outcome.
   */
  async next(until?: number): Promise<TaskOutcome[]> {
    if (this.outcomes.length === 0 && !this.signal.aborted) {
      if (this.inflight.size === 0 && until === undefined) return [];
      await new Promise<void>((resolve) => {
        const done = () => {
          if (timer) clearTimeout(timer);
          this.signal.removeEventListener("abort", done);
          this.wake = undefined;
          resolve();
        };
        const timer = until === undefined ? undefined : setTimeout(done, Math.max(0, until - this.now()));
        this.signal.addEventListener("abort", done, { once: true });
        this.wake = done;
      });
    }
    const ready = this.outcomes;
    this.outcomes = [];
    return ready;
  }

  private notify(): void {
    this.wake?.();
  }

  /** Abort every task in flight (and any later launch) with `reason`; `error` (e.g. RUN_DEADLINE) is what they fail with. */
  cancel(reason: string, error?: WorkflowError): void {
    if (this.controller.signal.aborted) return;
    this.#cancelError = error;
    this.controller.abort(reason);
    for (const task of this.inflight.values()) task.controller.abort(reason);
  }

  /** Wait for every task in flight to settle (after cancel), dropping their outcomes. */
  async settle(): Promise<void> {
    await Promise.all([...this.inflight.values()].map((f) => f.done));
    this.outcomes = [];
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Emit an event about an outcome once the step that records it is committed: the graph calls
   * `flush()` when the next step starts, which (with durability "sync") is after the checkpoint is
   * written. So whoever sees "completed" can rely on it surviving a crash.
   */
  emitAfterCommit(event: Omit<WorkflowEvent, "run_id" | "at">): void {
    this.deferred.push({ run_id: this.runId, at: new Date(this.now()).toISOString(), ...event });
  }

  /** Emit the events held by emitAfterCommit. */
  flush(): void {
    const events = this.deferred;
    this.deferred = [];
    for (const event of events) for (const listener of this.listeners) listener(event);
  }

  emit(event: Omit<WorkflowEvent, "run_id" | "at">): void {
    const full: WorkflowEvent = { run_id: this.runId, at: new Date(this.now()).toISOString(), ...event };
    for (const listener of this.listeners) listener(full);
  }
}
