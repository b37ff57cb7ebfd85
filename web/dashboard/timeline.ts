// The Gantt of a run's attempts: one row per task, one bar per attempt, on a shared time axis from the first
// attempt's start to the last one's end (or now, while one is running).
import { el } from "./dom.js";
import { formatDuration, token } from "./format.js";
import type { AttemptView } from "./types.js";

interface Span {
  attempt: AttemptView;
  start: number;
  end: number;
}

function spans(attempts: readonly AttemptView[], now: number): Span[] {
  const out: Span[] = [];
  for (const attempt of attempts) {
    const start = Date.parse(attempt.started_at);
    if (Number.isNaN(start)) continue;
    const ended = attempt.ended_at ? Date.parse(attempt.ended_at) : now;
    out.push({ attempt, start, end: Math.max(start, Number.isNaN(ended) ? now : ended) });
  }
  return out;
}

/** The outcome shown for an attempt: its own, or "running" while it has no end. */
function outcome(a: AttemptView): string {
  return a.ended_at ? (a.outcome ?? "ended") : "running";
}

/** Renders the timeline for these tasks (in this order) and attempts; `onSelect` gets a clicked bar's task. */
export function renderTimeline(
  taskIds: readonly string[],
  attempts: readonly AttemptView[],
  onSelect: (taskId: string) => void,
): HTMLElement {
  const all = spans(attempts, Date.now());
  if (all.length === 0) return el("p", { class: "muted" }, "No attempt has started yet.");
  const t0 = Math.min(...all.map((s) => s.start));
  const total = Math.max(1, Math.max(...all.map((s) => s.end)) - t0);
  const byTask = new Map<string, Span[]>();
  for (const s of all) byTask.set(s.attempt.task_id, [...(byTask.get(s.attempt.task_id) ?? []), s]);
  const rows = taskIds.filter((id) => byTask.has(id)).map((id) => row(id, byTask.get(id) ?? [], t0, total, onSelect));
  return el(
    "div",
    { class: "timeline" },
    el("div", { class: "axis" }, el("span", {}, "0"), el("span", {}, formatDuration(total))),
    ...rows,
  );
}

function row(taskId: string, taskSpans: readonly Span[], t0: number, total: number, onSelect: (taskId: string) => void): HTMLElement {
  const track = el("div", { class: "track" });
  for (const s of taskSpans) {
    const state = outcome(s.attempt);
    const bar = el("div", {
      class: `bar outcome-${token(state)}`,
      title: `${taskId} attempt ${s.attempt.attempt}: ${state}, ${formatDuration(s.end - s.start)}`,
      "data-task": taskId,
    });
    bar.style.left = `${((s.start - t0) / total) * 100}%`;
    bar.style.width = `max(2px, ${((s.end - s.start) / total) * 100}%)`;
    track.appendChild(bar);
  }
  const label = el("button", { type: "button", class: "row-label", title: taskId }, taskId);
  label.addEventListener("click", () => onSelect(taskId));
  track.addEventListener("click", () => onSelect(taskId));
  return el("div", { class: "row" }, label, track);
}
