import { splitUndo } from "../model/file-undo.js";
import { ensureWorkflowError } from "../model/errors.js";
import type { WorkflowEvent } from "../model/events.js";
import type { AttemptOutcome } from "../model/executor.js";
import type { Plan } from "../model/plan-schema.js";
import type { HistoryEntry, TaskPatch, TaskState } from "../model/task-state.js";
import type { StepChanges } from "./run-view.js";

/**
 * The task state transitions, each in one place: pending → running (a new attempt), running → completed |
 * failed (an outcome), pending → skipped. Each returns the patch and the history line; the caller puts
 * them in the step it builds.
 */

/** The tasks of a new run, all pending. */
export function initialTasks(plan: Plan): Record<string, TaskState> {
  const tasks: Record<string, TaskState> = {};
  for (const spec of plan.tasks) tasks[spec.id] = { ...spec, status: "pending", attempts: 0 };
  return tasks;
}

/** Start the next attempt of `task`: recorded as running before anything runs. */
export function markRunning(step: StepChanges, task: TaskState, at: string): TaskState {
  const attempt = task.attempts + 1;
  // A key set to undefined is stored too (as a marker), so retry_at is cleared only when the task has one.
  const patch: TaskPatch = { ...step.tasks[task.id], status: "running", attempts: attempt, started_at: at };
  if (task.retry_at !== undefined) patch.retry_at = undefined;
  step.tasks[task.id] = patch;
  step.history.push({ at, event: "task_started", task_id: task.id, attempt });
  return { ...task, ...patch } as TaskState;
}

/** Skip a task that will never run, with the reason; `byCondition`: because of a `when`, which is not an error. */
export function markSkipped(step: StepChanges, id: string, reason: string, at: string, byCondition = false): void {
  step.tasks[id] = {
    ...step.tasks[id],
    status: "skipped",
    skip_reason: reason,
    ...(byCondition ? { skipped_by: "condition" as const } : {}),
  };
  step.history.push({ at, event: "task_skipped", task_id: id, detail: reason });
}

/** Record how an attempt ended, and the event that announces it. */
export function recordOutcome(
  task: TaskState,
  outcome: AttemptOutcome,
): { patch: TaskPatch; entry: HistoryEntry; event: Omit<WorkflowEvent, "run_id" | "at"> } {
  const duration_ms = outcome.endedAt - outcome.startedAt;
  const finished_at = new Date(outcome.endedAt).toISOString();
  const timing = { finished_at, duration_ms, total_ms: (task.total_ms ?? 0) + duration_ms };
  const base = { task_id: task.id, action_type: task.action_type, attempt: outcome.attempt, duration_ms };
  if (outcome.ok) {
    const { result, undo } = splitUndo(outcome.result);
    return {
      patch: {
        status: "completed",
        result,
        ...(undo === undefined ? {} : { undo }),
        ...(task.error === undefined ? {} : { error: undefined }),
        ...timing,
      },
      entry: { at: finished_at, event: "task_completed", task_id: task.id, attempt: outcome.attempt },
      event: { type: "task_completed", ...base },
    };
  }
  const error = outcome.error ?? ensureWorkflowError(new Error("unknown failure")).toJSON();
  return {
    patch: { status: "failed", error, ...timing },
    entry: { at: finished_at, event: "task_failed", task_id: task.id, attempt: outcome.attempt, detail: `${error.code}: ${error.message}` },
    event: { type: "task_failed", ...base, error },
  };
}

/** True when `outcome` is for the attempt the state has running (a repeated or stale delivery is not). */
export function isCurrent(task: TaskState | undefined, outcome: AttemptOutcome): task is TaskState {
  return task?.status === "running" && task.attempts === outcome.attempt;
}
