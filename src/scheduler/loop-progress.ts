import type { HistoryEntry, TaskPatch, TaskState } from "../model/task-state.js";
import { bindLoopItem } from "../plan/loop-binding.js";
import type { EventOutbox } from "./event-outbox.js";
import type { RunView, StepChanges } from "./run-view.js";

/** The id of item `index` of the for_each task `loopId` (`#` keeps it out of any `{{reference}}`). */
function itemId(loopId: string, index: number): string {
  return `${loopId}#${index}`;
}

/** The task as this step leaves it so far. */
function current(view: RunView, step: StepChanges, id: string): TaskState | undefined {
  const base = view.tasks[id];
  const patch = step.tasks[id];
  return base && patch ? ({ ...base, ...patch } as TaskState) : base;
}

/**
 * Lay out a for_each task's items as tasks of the run, each its own attempt with its own retries and its own
 * checkpointed outcome: `{{item}}` and `{{index}}` bound, the loop's dependencies, retry and failure policy.
 * The loop task stays running (holding no slot) until every item has ended; an empty list completes it at once.
 */
export function layOutItems(step: StepChanges, loop: TaskState, items: readonly unknown[], at: string, events: EventOutbox): void {
  const { id, name, description, action_type, action_config, dependencies, retry, on_failure } = loop;
  items.forEach((item, index) => {
    const task: TaskState = {
      id: itemId(id, index),
      ...(name ? { name: `${name} [${index}]` } : {}),
      ...(description ? { description } : {}),
      action_type,
      action_config: bindLoopItem(action_config, item, index) as Record<string, unknown>,
      dependencies,
      ...(retry ? { retry } : {}),
      ...(on_failure ? { on_failure } : {}),
      loop_of: id,
      loop_index: index,
      status: "pending",
      attempts: 0,
    };
    step.tasks[task.id] = task;
  });
  step.history.push({ at, event: "loop_started", task_id: id, detail: `${items.length} items` });
  if (items.length === 0) {
    step.tasks[id] = { ...step.tasks[id], status: "completed", result: [], loop: { total: 0, done: 0 }, finished_at: at };
    step.history.push({ at, event: "task_completed", task_id: id, attempt: loop.attempts });
    events.emitAfterCommit({ type: "task_completed", task_id: id, action_type, attempt: loop.attempts });
    return;
  }
  step.tasks[id] = { ...step.tasks[id], loop: { total: items.length, done: 0 } };
}

/**
 * An item ended (completed, or skipped by the failure policy): count it on its loop task, and complete the loop
 * once every item has ended, its result the items' results in order (null for a skipped item).
 */
export function itemEnded(view: RunView, step: StepChanges, item: TaskState, at: string, events: EventOutbox): void {
  const loopId = item.loop_of;
  if (loopId === undefined) return;
  const loop = current(view, step, loopId);
  if (!loop?.loop || loop.status !== "running") return;
  const progress = { total: loop.loop.total, done: loop.loop.done + 1 };
  const patch: TaskPatch = { loop: progress };
  if (progress.done >= progress.total) {
    const results: unknown[] = [];
    for (let i = 0; i < progress.total; i++) results.push(current(view, step, itemId(loopId, i))?.result ?? null);
    const started = loop.started_at ? Date.parse(loop.started_at) : Date.parse(at);
    Object.assign(patch, { status: "completed", result: results, finished_at: at, duration_ms: Date.parse(at) - started });
    const entry: HistoryEntry = { at, event: "task_completed", task_id: loopId, attempt: loop.attempts, detail: `${progress.total} items` };
    step.history.push(entry);
    events.emitAfterCommit({ type: "task_completed", task_id: loopId, action_type: loop.action_type, attempt: loop.attempts });
  }
  step.tasks[loopId] = { ...step.tasks[loopId], ...patch };
}
