import { CancelledError } from "../model/errors.js";
import type { TaskPatch, TaskState } from "../model/task-state.js";
import { approvalHold } from "../safety/approval/approval.js";
import { safetyOf } from "../model/safety-policy.js";
import { nextRetryAt, selectReady } from "./ready.js";
import type { RunLoop } from "./run-loop.js";
import { emptyStep, type RunView, type StepChanges, type StepUpdate } from "./run-view.js";
import { indexOf } from "./task-index.js";
import { isCurrent, markRunning, recordOutcome } from "./transitions.js";
import type { AttemptOutcome } from "../model/executor.js";
import { skipByCondition } from "./condition-skip.js";
import { itemEnded, layOutItems } from "./loop-progress.js";
import { needsPreparation } from "./prepare-task.js";

export interface ExecuteOptions {
  now(): number;
  /**
   * Launch unblocked dependents in the step that records their dependency's completion, before its
   * checkpoint is written. Only when nothing is persisted (memory): durable runs record first.
   */
  startEagerly: boolean;
}

/** In-memory runs record a chain's next hops in the same step, for at most this long (events wait for the step's end). */
const HOP_BUDGET_MS = 20;
const MAX_HOPS = 1000;

/**
 * Launch every task the state has running that nothing holds in flight (just marked, or cut off by a crash),
 * wait for the next outcome (or a retry to come due), record every outcome at once, and mark the tasks the
 * completions unblocked as running in the same step (dataflow: a dependency hop costs no extra step). Runs
 * kept in memory launch those at once and go on recording what they deliver within the step, hop after hop,
 * while outcomes keep arriving and the step is young: a durable run records each hop in its own checkpoint.
 */
export async function executeStep(view: RunView, loop: RunLoop, options: ExecuteOptions): Promise<StepUpdate> {
  for (const id of indexOf(view.tasks).running) {
    const task = view.tasks[id] as TaskState;
    if (!loop.hasStarted(id, task.attempts)) loop.start(view, task);
  }
  let outcomes = await loop.next(nextRetryAt(view.tasks));
  if (outcomes.length === 0 && loop.signal.aborted) return cancelled(view, loop, options.now());
  const step = emptyStep();
  const failures: string[] = [];
  const began = performance.now();
  for (let hop = 1; ; hop++) {
    for (const outcome of outcomes) {
      const task = withPatch(view.tasks[outcome.taskId], step.tasks[outcome.taskId]);
      if (!isCurrent(task, outcome)) continue;
      if (outcome.ok && outcome.control) {
        applyControl(view, loop, step, task, outcome);
        continue;
      }
      const { patch, entry, event } = recordOutcome(task, outcome);
      step.tasks[task.id] = { ...step.tasks[task.id], ...patch };
      step.history.push(entry);
      loop.events.emitAfterCommit(event);
      if (!outcome.ok) failures.push(task.id);
      else if (task.loop_of !== undefined) itemEnded(view, step, task, entry.at, loop.events);
    }
    if (failures.length) return { ...step, pending_failures: [...view.pending_failures, ...failures] };
    markDependents(view, loop, step, options);
    if (!options.startEagerly || loop.signal.aborted || hop >= MAX_HOPS || performance.now() - began > HOP_BUDGET_MS) break;
    outcomes = await loop.delivered();
    if (outcomes.length === 0) break;
  }
  return step;
}

/** What the run loop decided before the action: a false condition skips the task, a list lays out its items. */
function applyControl(view: RunView, loop: RunLoop, step: StepChanges, task: TaskState, outcome: AttemptOutcome): void {
  const at = new Date(outcome.endedAt).toISOString();
  const control = outcome.control;
  if (!control) return;
  if ("skip" in control) skipByCondition(view, step, task, control.skip, at, loop.events);
  else layOutItems(step, task, control.items, at, loop.events);
}

/** A task as this step leaves it so far. */
function withPatch(task: TaskState | undefined, patch: TaskPatch | undefined): TaskState | undefined {
  return task && patch ? ({ ...task, ...patch } as TaskState) : task;
}

/**
 * Mark the tasks the finished ones unblocked as running in this same step. Durable runs launch them at the
 * start of the next execute step, after this step's checkpoint is written: a task is recorded as started
 * before its side effects begin, and a completion is durable before any dependent acts on it (a crash
 * repeats at most the attempts in flight). Runs kept in memory launch them at once.
 */
function markDependents(view: RunView, loop: RunLoop, step: StepChanges, options: ExecuteOptions): void {
  if (loop.signal.aborted || Object.keys(step.tasks).length === 0) return;
  const now = options.now();
  const at = new Date(now).toISOString();
  // Tasks waiting for approval stay pending: decide asks for them once nothing else runs.
  const hold = approvalHold(view.tasks, safetyOf(view.context));
  for (const id of selectReady(view.tasks, view.context.concurrency, now, step.tasks, hold)) {
    const started = markRunning(step, view.tasks[id] as TaskState, at);
    // Results of tasks finishing in this step are in the step, not yet in the state: read both.
    // A condition or a list is read from the whole run (limits count every loop's items): started next step.
    if (options.startEagerly && !needsPreparation(started)) {
      loop.start({ ...view, tasks: withChanges(view.tasks, step.tasks, started) }, started, true);
    }
  }
}

/**
 * The tasks a launched task may reference, with this step's changes applied. Validation makes every task a
 * config references a dependency, so the dependencies are all it can read.
 */
function withChanges(tasks: Record<string, TaskState>, patches: Record<string, TaskPatch>, task: TaskState): Record<string, TaskState> {
  const view: Record<string, TaskState> = {};
  for (const d of task.dependencies) {
    const base = tasks[d];
    if (base) view[d] = { ...base, ...patches[d] } as TaskState;
  }
  return view;
}

/** The run was cancelled from outside while nothing was in flight: end it, skipping what never started. */
function cancelled(view: RunView, loop: RunLoop, now: number): StepUpdate {
  const reason = String(loop.signal.reason ?? "the run was cancelled");
  const tasks: Record<string, TaskPatch> = {};
  const error = (loop.cancelError ?? new CancelledError(`cancelled: ${reason}`)).toJSON();
  for (const t of Object.values(view.tasks)) {
    if (t.status === "pending") tasks[t.id] = { status: "skipped", skip_reason: `run cancelled: ${reason}` };
    if (t.status === "running") tasks[t.id] = { status: "failed", error };
  }
  return {
    tasks,
    context: { status: "failed", error: (loop.cancelError ?? new CancelledError(reason)).toJSON() },
    history: [{ at: new Date(now).toISOString(), event: "task_cancelled", detail: reason }],
  };
}
