// The runs, newest first. Kept live by the event streams of the runs still running (a few at most: a browser
// opens six connections per server over HTTP/1.1) and by a slow re-read that picks up runs started elsewhere.
import { api, followRun } from "./api.js";
import { button, el, replaceChildren } from "./dom.js";
import { elapsed, formatDuration, formatTime, isFinished, token } from "./format.js";
import { showError } from "./notice.js";
import type { RunList, RunSummary } from "./types.js";

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

/** Mounts the runs table into `root`; the function returned stops its streams and timers. */
export function mountRunsList(root: HTMLElement): () => void {
  const notice = el("div", { class: "notice" });
  const body = el("tbody");
  const more = el("div");
  const table = el(
    "table",
    { class: "runs" },
    el(
      "thead",
      {},
      el("tr", {}, el("th", {}, "Status"), el("th", {}, "Goal"), el("th", {}, "Started"), el("th", { class: "num" }, "Duration")),
    ),
    body,
  );
  replaceChildren(root, el("h2", {}, "Runs"), notice, table, more);

  let runs: RunSummary[] = [];
  let cursor: string | undefined;
  let extraPages = 0;
  const streams = new Map<string, () => void>();
  let debounce: number | undefined;

  const render = () => {
    replaceChildren(body, ...(runs.length ? runs.map(rowOf) : [el("tr", {}, el("td", { colspan: "4", class: "muted" }, "No runs yet."))]));
    replaceChildren(more, cursor ? button("Older runs", loadOlder) : null);
  };
  const refresh = async () => {
    try {
      const page = await api<RunList>("GET", `/runs?limit=${PAGE * (1 + extraPages)}`);
      runs = page.runs;
      cursor = page.next_cursor;
      showError(notice, undefined);
      render();
      followRunning();
    } catch (error) {
      showError(notice, error);
    }
  };
  const loadOlder = async () => {
    if (!cursor) return;
    try {
      const page = await api<RunList>("GET", `/runs?limit=${PAGE}&cursor=${encodeURIComponent(cursor)}`);
      runs = [...runs, ...page.runs];
      cursor = page.next_cursor;
      extraPages++;
      render();
    } catch (error) {
      showError(notice, error);
    }
  };
  const soon = () => {
    clearTimeout(debounce);
    debounce = window.setTimeout(refresh, 200);
  };
  const followRunning = () => {
    const running = new Set(runs.filter((r) => !isFinished(r.status) && r.status !== "awaiting_approval").map((r) => r.run_id));
    for (const [id, stop] of streams) {
      if (running.has(id)) continue;
      stop();
      streams.delete(id);
    }
    for (const id of running) {
      if (streams.size >= MAX_STREAMS) break;
      if (streams.has(id)) continue;
      const stop = followRun(
        id,
        (e) => (e.type === "run_completed" || e.type === "approval_requested") && soon(),
        () => streams.delete(id),
      );
      streams.set(id, stop);
    }
  };

  // The slow re-read also moves the durations of running runs on.
  const timer = window.setInterval(() => document.visibilityState === "visible" && refresh(), REFRESH_MS);
  void refresh();
  return () => {
    clearInterval(timer);
    clearTimeout(debounce);
    for (const stop of streams.values()) stop();
  };
}
