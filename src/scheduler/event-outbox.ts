import type { EventListener, WorkflowEvent } from "../model/events.js";

type Draft = Omit<WorkflowEvent, "run_id" | "at">;

/**
 * A run's live events. Events about outcomes are held until the step that records them is committed:
 * the graph calls `flush()` when the next step starts, which (with durability "sync") is after the
 * checkpoint is written, so whoever sees "completed" can rely on it surviving a crash.
 */
export class EventOutbox {
  private readonly listeners = new Set<EventListener>();
  private deferred: WorkflowEvent[] = [];

  constructor(
    private readonly runId: string,
    private readonly now: () => number = Date.now,
  ) {}

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Emit at once (the run started, a task was launched after its start was recorded). */
  emit(event: Draft): void {
    const full = this.stamp(event);
    for (const listener of this.listeners) listener(full);
  }

  /** Emit once the step being built is committed. */
  emitAfterCommit(event: Draft): void {
    this.deferred.push(this.stamp(event));
  }

  /** Emit the events held by emitAfterCommit. */
  flush(): void {
    const events = this.deferred;
    this.deferred = [];
    for (const event of events) for (const listener of this.listeners) listener(event);
  }

  private stamp(event: Draft): WorkflowEvent {
    return { run_id: this.runId, at: new Date(this.now()).toISOString(), ...event };
  }
}
