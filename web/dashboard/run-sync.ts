// The run page's copy of a run, kept in step with the server: live events move it at once (a node turns colour
// without a round trip), and a re-read of GET /runs/:id follows for what events do not carry (results, metrics).
import { ApiError, api, followRun, runPath } from "./api.js";
import { isFinished } from "./format.js";
import { applyEvent } from "./run-state.js";
import type { RunDetail, WorkflowEvent } from "./types.js";

/** A re-read waits this long to gather events (longer for big runs, whose answer is big). */
const reloadDelay = (tasks: number) => Math.min(2000, 250 + tasks * 2);
const REFOLLOW_MS = 3000;
/** How many re-reads may still show a run status older than the last event's before the read is believed. */
const STALE_READS = 8;
/** A run just accepted by POST /runs may not be readable yet: a few tries before "not found" is believed. */
const NOT_FOUND_TRIES = 10;

export interface RunSyncHooks {
  /** The run changed as a whole: a re-read, or its status moved. */
  changed(run: RunDetail): void;
  /** One task's status moved on an event. */
  taskMoved(run: RunDetail, taskId: string): void;
  /** A read failed (the page shows why). */
  failed(error: unknown): void;
}

export class RunSync {
  run: RunDetail | undefined;
  // Events that arrived while a re-read was in flight are applied again on top of its answer.
  private sinceRead: WorkflowEvent[] = [];
  private loading = false;
  private again = false;
  private reloadTimer: ReturnType<typeof setTimeout> | undefined;
  // The server sends some status events before it stores the status (approval_requested): a read just after
  // one may still show the status before it. The event's status holds until a read agrees (or a few reads later).
  private pinned: { status: RunDetail["status"]; reads: number } | undefined;
  private notFound = 0;
  private unfollow: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly runId: string,
    private readonly hooks: RunSyncHooks,
  ) {}

  start(): void {
    this.follow();
    void this.load();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.reloadTimer);
    this.unfollow?.();
  }

  /** After an action the server accepted: the run goes on, perhaps with events on a stream the page let go. */
  nudge(): void {
    this.follow();
    this.reload();
  }

  private async load(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return;
    }
    this.loading = true;
    this.sinceRead = [];
    try {
      this.accept(await api<RunDetail>("GET", runPath(this.runId)));
    } catch (error) {
      const early = !this.run && error instanceof ApiError && error.code === "RUN_NOT_FOUND" && ++this.notFound < NOT_FOUND_TRIES;
      if (early) this.again = true;
      else if (!this.stopped) this.hooks.failed(error);
    } finally {
      this.loading = false;
      if (this.again && !this.stopped) {
        this.again = false;
        this.reload();
      }
    }
  }

  private accept(fresh: RunDetail): void {
    for (const event of this.sinceRead) applyEvent(fresh, event);
    if (this.pinned && fresh.status !== this.pinned.status && this.pinned.reads++ < STALE_READS) {
      fresh.status = this.pinned.status;
      this.again = true;
    } else this.pinned = undefined;
    this.run = fresh;
    if (!this.stopped) this.hooks.changed(fresh);
  }

  // At most one re-read waits at a time: a steady flow of events still gets one every delay (a debounce that
  // restarted on each event would never fire while the run is busy).
  private reload(): void {
    if (this.reloadTimer !== undefined) return;
    this.reloadTimer = setTimeout(
      () => {
        this.reloadTimer = undefined;
        void this.load();
      },
      reloadDelay(this.run?.tasks.length ?? 0),
    );
  }

  private readonly onEvent = (event: WorkflowEvent): void => {
    this.sinceRead.push(event);
    const run = this.run;
    if (!run) return;
    const before = run.status;
    applyEvent(run, event);
    if (run.status !== before) {
      this.pinned = { status: run.status, reads: 0 };
      this.hooks.changed(run);
    } else if (event.task_id) this.hooks.taskMoved(run, event.task_id);
    this.reload();
  };

  private follow(): void {
    if (this.unfollow || this.stopped) return;
    this.unfollow = followRun(this.runId, this.onEvent, () => {
      this.unfollow = undefined;
      // A stream the server refused or ended early is tried again while the run can still change.
      const gone = !this.run && this.notFound >= NOT_FOUND_TRIES;
      const ended = this.run !== undefined && isFinished(this.run.status);
      if (!this.stopped && !gone && !ended) setTimeout(() => this.follow(), REFOLLOW_MS);
    });
  }
}
