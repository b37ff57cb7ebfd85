import { ErrorCode, WorkflowError } from "../model/errors.js";
import type { RunContext, RunStatus, TaskPatch, TaskState } from "../model/task-state.js";
import type { Compensation } from "../model/verify-rule.js";
import type { RunView, StepUpdate } from "./run-view.js";

/** The id of the task that undoes `taskId`. */
function undoId(taskId: string): string {
  return `undo:${taskId}`;
}

/** What undoes a completed task: its own `compensate`, else a file operation's built-in undo; undefined: nothing to undo. */
function compensationOf(t: TaskState): { action?: Compensation; cannot?: string } | undefined {
  if (t.compensate)
    return { action: { ...t.compensate, action_config: withSelf(t.compensate.action_config, t.id) as Record<string, unknown> } };
  if (!t.undo) return undefined;
  if (t.undo.unavailable) return { cannot: `${t.undo.path} cannot be restored: ${t.undo.unavailable}` };
  const config = t.undo.existed
    ? { operation: "write", path: t.undo.path, content: t.undo.content_base64 ?? "", encoding: "base64" }
    : { operation: "delete", path: t.undo.path };
  return { action: { action_type: "file_operation", action_config: config } };
}

/** `{{self...}}` in a compensation means the task's own result: rewritten to the task's id. */
function withSelf(value: unknown, id: string): unknown {
  if (typeof value === "string") return value.replace(/\{\{(\s*)self(?=[\s.[}])/g, `{{$1${id}`);
  if (Array.isArray(value)) return value.map((v) => withSelf(v, id));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withSelf(v, id)]));
  return value;
}

/**
 * The compensation tasks of a run: one per completed task that has something to undo, each depending on the
 * task it undoes (its result is what `{{self...}}` reads) and on the compensations of the nearest dependents
 * that have one, so what was done last is undone first and independent ones run in parallel. A compensation
 * that still fails after its retries is skipped with its own dependents (what they undo is left as it is).
 */
export function compensationTasks(tasks: Readonly<Record<string, TaskState>>): Record<string, TaskState> {
  const original = Object.values(tasks).filter((t) => t.compensates === undefined);
  const undoable = new Map<string, { action?: Compensation; cannot?: string }>();
  for (const t of original) {
    const c = t.status === "completed" ? compensationOf(t) : undefined;
    if (c) undoable.set(t.id, c);
  }
  const dependents = new Map<string, string[]>();
  for (const t of original) for (const d of t.dependencies) dependents.set(d, [...(dependents.get(d) ?? []), t.id]);
  const out: Record<string, TaskState> = {};
  for (const [id, c] of undoable) {
    const task = tasks[id] as TaskState;
    const after = nearestUndoable(id, dependents, undoable).map(undoId);
    const base = {
      id: undoId(id),
      name: `Undo ${task.name ?? id}`,
      dependencies: [id, ...after],
      compensates: id,
      attempts: 0,
      on_failure: "skip" as const,
      ...(task.retry ? { retry: task.retry } : {}),
    };
    out[base.id] = c.action
      ? { ...base, action_type: c.action.action_type, action_config: c.action.action_config, status: "pending" }
      : { ...base, action_type: "wait", action_config: { ms: 0 }, status: "skipped", skip_reason: c.cannot ?? "cannot be undone" };
  }
  return out;
}

/** The closest tasks downstream of `id` that have a compensation (through those that do not). */
function nearestUndoable(id: string, dependents: ReadonlyMap<string, string[]>, undoable: ReadonlyMap<string, unknown>): string[] {
  const found = new Set<string>();
  const seen = new Set<string>();
  const stack = [...(dependents.get(id) ?? [])];
  while (stack.length) {
    const next = stack.pop() as string;
    if (seen.has(next)) continue;
    seen.add(next);
    if (undoable.has(next)) found.add(next);
    else stack.push(...(dependents.get(next) ?? []));
  }
  return [...found];
}

/** Begin undoing a run: its compensation tasks are added, pending, and the run goes on in the rollback phase. */
export function startRollback(view: RunView, at: string, why: string): StepUpdate {
  const added = compensationTasks(view.tasks);
  const tasks: Record<string, TaskPatch> = { ...added };
  return {
    tasks,
    context: { status: "running", phase: "rollback", finished_at: undefined },
    history: [{ at, event: "rollback_started", detail: `${Object.keys(added).length} to undo: ${why}` }],
  };
}

/** How a rollback ended: every compensation completed (rolled_back), or the error naming what was not undone. */
export function rollbackOutcome(view: RunView): { status: RunStatus; error?: RunContext["error"] } {
  const left = Object.values(view.tasks).filter((t) => t.compensates !== undefined && t.status !== "completed");
  if (left.length === 0) return { status: "rolled_back", ...(view.context.error ? { error: view.context.error } : {}) };
  const named = left.map((t) => `${t.compensates} (${t.error?.message ?? t.skip_reason ?? t.status})`).join("; ");
  const error = new WorkflowError(ErrorCode.RollbackFailed, `The rollback could not undo: ${named}.`, {
    details: { not_undone: left.map((t) => t.compensates), ...(view.context.error ? { failure: view.context.error } : {}) },
  });
  return { status: "rollback_failed", error: error.toJSON() };
}
