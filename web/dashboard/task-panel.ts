// The details of one task: what it was asked to do, what came of it, and each attempt.
import { el, pretty } from "./dom.js";
import { formatDuration, formatTime, elapsed, token } from "./format.js";
import type { AttemptView, TaskView } from "./types.js";

function section(title: string, value: unknown): HTMLElement | null {
  if (value === undefined) return null;
  return el("section", {}, el("h4", {}, title), el("pre", {}, pretty(value)));
}

function attemptList(attempts: readonly AttemptView[]): HTMLElement | null {
  if (attempts.length === 0) return null;
  const items = attempts.map((a) => {
    const state = a.ended_at ? (a.outcome ?? "ended") : "running";
    return el(
      "li",
      {},
      el("span", { class: `badge status-${token(state)}` }, state),
      ` #${a.attempt} at ${formatTime(a.started_at)}`,
      a.ended_at ? `, ${formatDuration(elapsed(a.started_at, a.ended_at))}` : "",
    );
  });
  return el("section", {}, el("h4", {}, "Attempts"), el("ol", { class: "attempts" }, ...items));
}

/** The panel for a task, or a hint when none is selected. */
export function renderTaskPanel(task: TaskView | undefined, attempts: readonly AttemptView[]): HTMLElement {
  if (!task) return el("p", { class: "muted" }, "Click a task in the graph or the timeline to see its details.");
  const mine = attempts.filter((a) => a.task_id === task.id);
  const retries = Math.max(0, task.attempts - 1);
  return el(
    "div",
    { class: "task-detail", "data-task": task.id },
    el("h3", {}, task.name ?? task.id, " ", el("span", { class: `badge status-${token(task.status)}` }, task.status)),
    el(
      "p",
      { class: "muted" },
      `${task.id} · ${task.action_type} · ${task.attempts} attempt${task.attempts === 1 ? "" : "s"}, ${retries} retr${retries === 1 ? "y" : "ies"}`,
      task.duration_ms === undefined ? "" : ` · ${formatDuration(task.duration_ms)}`,
      task.dependencies.length ? ` · after ${task.dependencies.join(", ")}` : "",
    ),
    task.skip_reason ? el("p", {}, `Skipped: ${task.skip_reason}`) : null,
    task.error ? el("p", { class: "error" }, `${task.error.code}: ${task.error.message}`) : null,
    section("Config", task.action_config),
    section("Result", task.result),
    attemptList(mine),
  );
}
