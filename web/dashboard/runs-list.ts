// The runs, newest first. Kept live by the event streams of the runs still running (a few at most: a browser
// opens six connections per server over HTTP/1.1) and by a slow re-read that picks up runs started elsewhere.
import { api, followRun } from "./api.js";
import { button, el, replaceChildren } from "./dom.js";
import { elapsed, formatDuration, formatTime, isFinished, token } from "./format.js";
import { showError } from "./notice.js";
import type { RunList, RunSummary, WorkflowEvent } from "./types.js";

const PAGE = 50;
const MAX_STREAMS = 3;
const REFRESH_MS = 5000;

function duration(run: RunSummary): string {
  if (run.duration_ms !== undefined && isFinished(run.status)) return formatDuration(run.duration_ms);
  return formatDuration(elapsed(run.created_at, run.finished_at));
}

function rowOf(run: RunSummary): HTMLTableRowElement {
  const link = el("a", { href: `#/runs/${encodeURIComponent(run.run_id)}` }, run.goal || run.run_id);
  return el(
    "tr",
    { "data-run": run.run_id, "data-status": token(run.status) },
    el("td", {}, el("span", { class: `badge status-${token(run.status)}` }, run.status)),
    el("td", { class: "goal-cell" }, link, run.goal ? el("div", { class: "muted small" }, run.run_id) : null),
    el("td", {}, formatTime(run.created_at)),
    el("td", { class: "num" }, duration(run)),
  );
}

class RunsList {
  private readonly notice = el("div", { class: "notice" });
  private readonly body = el("tbody");
  private readonly more = el("div");
  private runs: RunSummary[] = [];
  private cursor: string | undefined;
  private extraPages = 0;
  private readonly streams = new Map<string, () => void>();
  private debounce: ReturnType<typeof setTimeout> | undefined;

  constructor(root: HTMLElement) {
    const head = el(
      "tr",
      {},
      el("th", {}, "Status"),
      el("th", {}, "Goal"),
      el("th", {}, "Started"),
      el("th", { class: "num" }, "Duration"),
    );
    const table = el("table", { class: "runs" }, el("thead", {}, head), this.body);
    replaceChildren(root, el("h2", {}, "Runs"), this.notice, table, this.more);
  }

  start(): () => void {
    // The slow re-read also moves the durations of running runs on.
    const timer = setInterval(() => document.visibilityState === "visible" && this.refresh(), REFRESH_MS);
    void this.refresh();
    return () => {
      clearInterval(timer);
      clearTimeout(this.debounce);
      for (const stop of this.streams.values()) stop();
    };
  }

  private render(): void {
    const rows = this.runs.length ? this.runs.map(rowOf) : [el("tr", {}, el("td", { colspan: "4", class: "muted" }, "No runs yet."))];
    replaceChildren(this.body, ...rows);
    replaceChildren(this.more, this.cursor ? button("Older runs", () => this.loadOlder()) : null);
  }

  /** Reads the pages shown so far again (the newest runs first). */
  private async refresh(): Promise<void> {
    try {
      const page = await api<RunList>("GET", `/runs?limit=${PAGE * (1 + this.extraPages)}`);
      this.runs = page.runs;
      this.cursor = page.next_cursor;
      showError(this.notice, undefined);
      this.render();
      this.followRunning();
    } catch (error) {
      showError(this.notice, error);
    }
  }

  private async loadOlder(): Promise<void> {
    if (!this.cursor) return;
    try {
      const page = await api<RunList>("GET", `/runs?limit=${PAGE}&cursor=${encodeURIComponent(this.cursor)}`);
      this.runs = [...this.runs, ...page.runs];
      this.cursor = page.next_cursor;
      this.extraPages++;
      this.render();
    } catch (error) {
      showError(this.notice, error);
    }
  }

  private soon(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.refresh(), 200);
  }

  /** Streams for the running runs (a few at most); a run that ends or pauses re-reads the list. */
  private followRunning(): void {
    const running = new Set(this.runs.filter((r) => !isFinished(r.status) && r.status !== "awaiting_approval").map((r) => r.run_id));
    for (const [id, stop] of this.streams) {
      if (running.has(id)) continue;
      stop();
      this.streams.delete(id);
    }
    for (const id of running) {
      if (this.streams.size >= MAX_STREAMS) break;
      if (this.streams.has(id)) continue;
      const onEvent = (e: WorkflowEvent) => (e.type === "run_completed" || e.type === "approval_requested") && this.soon();
      this.streams.set(
        id,
        followRun(id, onEvent, () => this.streams.delete(id)),
      );
    }
  }
}

/** Mounts the runs table into `root`; the function returned stops its streams and timers. */
export function mountRunsList(root: HTMLElement): () => void {
  return new RunsList(root).start();
}
