import { evaluateExpression } from "../actions/transform-data/evaluate.js";
import { ErrorCode, WorkflowError } from "../model/errors.js";
import type { AttemptOutcome } from "../model/executor.js";
import { MAX_LOOP_ITEMS } from "../model/plan-schema.js";
import { safetyOf } from "../model/safety-policy.js";
import type { TaskState } from "../model/task-state.js";
import { resolveTemplates } from "../plan/template.js";
import type { RunView } from "./run-view.js";
import { isSettled } from "./task-index.js";

/** What the run loop does with a task before (or instead of) its action. */
export type Preparation = { kind: "run" } | { kind: "control"; control: NonNullable<AttemptOutcome["control"]> };

/** True when the run loop must look at the task before launching its action: a condition, or a list to lay out. */
export function needsPreparation(task: TaskState): boolean {
  return conditionDue(task) || (task.for_each !== undefined && task.loop === undefined);
}

/** A condition is read before the first attempt only: a retry of a task whose condition held runs it again. */
function conditionDue(task: TaskState): boolean {
  return task.when !== undefined && task.attempts <= 1;
}

/**
 * The results a task's condition and list read: each dependency's result (null for one skipped by its
 * condition), beside the run's variables (`inputs` among them). Dependencies only: the validator made every
 * task a condition or reference names one.
 */
function scopeOf(view: RunView, task: TaskState): { results: Record<string, unknown>; variables: Record<string, unknown> } {
  const results: Record<string, unknown> = {};
  for (const d of task.dependencies) {
    const dep = view.tasks[d];
    if (isSettled(dep)) results[d] = dep?.result ?? null;
  }
  return { results, variables: (view.memory.variables ?? {}) as Record<string, unknown> };
}

/**
 * Evaluate the task's `when` (bounded like every JSONata evaluation: limits.transformTimeoutSeconds,
 * maxTransformBytes) and read its `for_each` list. A false condition skips the task; a list becomes its items.
 */
export async function prepareTask(view: RunView, task: TaskState, signal: AbortSignal): Promise<Preparation> {
  const { results, variables } = scopeOf(view, task);
  if (task.when !== undefined && conditionDue(task)) {
    const { limits } = safetyOf(view.context);
    const bounds = { timeoutMs: limits.transformTimeoutSeconds * 1000, maxBytes: limits.maxTransformBytes, signal };
    const input = { ...variables, ...results };
    const holds = await evaluateExpression(`$boolean((\n${task.when}\n))`, input, bounds);
    if (holds !== true) return { kind: "control", control: { skip: `condition: when "${clip(task.when)}" was false` } };
  }
  if (task.for_each === undefined || task.loop !== undefined) return { kind: "run" };
  const list = Array.isArray(task.for_each)
    ? task.for_each
    : resolveTemplates(task.for_each, { results, variables, taskIds: new Set(task.dependencies) });
  if (!Array.isArray(list)) {
    const what = list === null ? "null" : typeof list;
    throw new WorkflowError(
      ErrorCode.ActionConfigInvalid,
      `for_each of task "${task.id}": ${String(task.for_each)} is ${what}, not a list; give a list (JSONata can make one: a transform_data task).`,
      { details: { task_id: task.id, for_each: task.for_each } },
    );
  }
  if (list.length > MAX_LOOP_ITEMS) {
    throw new WorkflowError(
      ErrorCode.PlanTooLarge,
      `for_each of task "${task.id}": ${list.length} items is more than the ${MAX_LOOP_ITEMS} one loop may run; split the list.`,
      { details: { task_id: task.id, items: list.length, max: MAX_LOOP_ITEMS } },
    );
  }
  // Items are tasks: all the loops of a run together lay out at most limits.maxTasks of them.
  const { maxTasks } = safetyOf(view.context).limits;
  let laidOut = 0;
  for (const id in view.tasks) if (view.tasks[id]?.loop_of !== undefined) laidOut++;
  if (laidOut + list.length > maxTasks) {
    throw new WorkflowError(
      ErrorCode.PlanTooLarge,
      `for_each of task "${task.id}": ${list.length} items (after ${laidOut} laid out by earlier loops) is over the run's limit of ${maxTasks} tasks; ` +
        "split the list, or raise the limit (limits.maxTasks).",
      { details: { task_id: task.id, items: list.length, laid_out: laidOut, max: maxTasks } },
    );
  }
  return { kind: "control", control: { items: list } };
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 100 ? `${flat.slice(0, 100)}…` : flat;
}
