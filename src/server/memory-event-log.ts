import type { EventEntry } from "../persistence/event-stream.js";
import type { WorkflowEvent } from "../model/events.js";

interface RunLog {
  /** Id of events[0]; ids count up from 1 and survive trimming. */
  first: number;
  events: WorkflowEvent[];
  waiters: Set<() => void>;
}

/**
 * The events of the runs this server drives, kept in memory with an id each, for clients to follow when no
 * Redis is configured. A run's log is capped (oldest events dropped), forgotten `keepMs` after it ends, and at
 * most `maxRuns` runs are kept (the oldest go first: a run paused for days must not hold memory forever).
 */
export class MemoryEventLog {
  private readonly runs = new Map<string, RunLog>();

  constructor(
    private readonly maxPerRun = 10_000,
    private readonly keepMs = 10 * 60_000,
    private readonly maxRuns = 1_000,
  ) {}

  /** Keep one event (the engine's onEvent). */
  readonly append = (event: WorkflowEvent): void => {
    let log = this.runs.get(event.run_id);
    if (!log) {
      log = { first: 1, events: [], waiters: new Set() };
      this.runs.set(event.run_id, log);
      if (this.runs.size > this.maxRuns) this.forgetOldest();
    }
    log.events.push(event);
    // Trimmed a quarter at a time: dropping one event per append would cost the whole array each time.
    if (log.events.length > this.maxPerRun + Math.ceil(this.maxPerRun / 4)) {
      const drop = log.events.length - this.maxPerRun;
      log.events.splice(0, drop);
      log.first += drop;
    }
    for (const wake of log.waiters) wake();
    if (event.type === "run_completed") {
      const ended = log;
      setTimeout(() => {
        if (this.runs.get(event.run_id) === ended) this.runs.delete(event.run_id);
      }, this.keepMs).unref();
    }
  };

  /** The run kept longest (Map order); its followers end. */
  private forgetOldest(): void {
    const [oldest] = this.runs;
    if (!oldest) return;
    this.runs.delete(oldest[0]);
    for (const wake of oldest[1].waiters) wake();
  }

  has(runId: string): boolean {
    return this.runs.has(runId);
  }

  /** The run's kept events after id `after`, as they are now (no waiting); undefined when the run is not kept. */
  stored(runId: string, after?: string): EventEntry[] | undefined {
    const log = this.runs.get(runId);
    if (!log) return undefined;
    const from = Math.max(firstId(after), log.first);
    return log.events.slice(from - log.first).map((event, i) => ({ id: String(from + i), event }));
  }

  /** The run's events after id `after` ("0" or absent: from the first kept), as they come; ends after run_completed. */
  async *follow(runId: string, after: string | undefined, signal: AbortSignal): AsyncGenerator<EventEntry> {
    let next = firstId(after);
    while (!signal.aborted) {
      const log = this.runs.get(runId);
      // Gone, or ended with nothing after `after`: a client that already has run_completed gets nothing more.
      if (!log || (log.events.at(-1)?.type === "run_completed" && next >= log.first + log.events.length)) return;
      for (let i = Math.max(next, log.first); i < log.first + log.events.length; i++) {
        const event = log.events[i - log.first] as WorkflowEvent;
        next = i + 1;
        yield { id: String(i), event };
        if (event.type === "run_completed") return;
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          log.waiters.delete(wake);
          signal.removeEventListener("abort", wake);
          resolve();
        };
        log.waiters.add(wake);
        signal.addEventListener("abort", wake, { once: true });
      });
    }
  }
}

/** The first id after `after` (ids start at 1; anything that is not an id counts as none). */
function firstId(after: string | undefined): number {
  const next = after === undefined ? 1 : Number.parseInt(after, 10) + 1;
  return Number.isSafeInteger(next) && next >= 1 ? next : 1;
}
