import { CancelledError, ensureWorkflowError } from "../../model/errors.js";
import { findReferences, resolveTemplates } from "../../plan/template.js";
import type { TaskOutcome, RunRuntime } from "../../scheduler/run-loop.js";
import { nextRetryAt, selectReady } from "../../scheduler/ready.js";
import { indexOf } from "../../scheduler/task-index.js";
import type { HistoryEntry, TaskPatch, TaskState } from "../../model/task-state.js";
import type { WorkflowStateUpdate, WorkflowStateValue } from "../workflow-state.js";
import { approvalHold, refusedByPolicy } from "../../safety/approval/approval.js";
import { safetyOf } from "../../model/safety-policy.js";
import { envScope } from "../../safety/secrets/access.js";
import { withTaskTimeout } from "../../safety/limits/task-timeout.js";
import type { GraphDeps } from "../graph-deps.js";

/** Results of the finished tasks that `config` refers to (not of every task: plans can be large). */
function referencedResults(config: unknown, tasks: Record<string, TaskState>): Record<string, unknown> {
  const results: Record<string, unknown> = {};
  for (const { root } of findReferences(config).refs) {
    const t = tasks[root];
    if (t?.status === "completed") results[root] = t.result;
  }
  return results;
}

/** Start one attempt: references are resolved now, against the results of finished tasks. */
function launch(deps: GraphDeps, rt: RunRuntime, state: WorkflowStateValue, task: TaskState, afterCommit = false): void {
  const tasks = state.tasks;
  // Launched in the step that records its dependency's completion: announce it after that completion.
  const started = { type: "task_started" as const, task_id: task.id, action_type: task.action_type, attempt: task.attempts };
  if (afterCommit) rt.emitAfterCommit(started);
  else rt.emit(started);
  const safety = safetyOf(state.context);
  rt.launch(task.id, task.attempts, (signal) =>
    withTaskTimeout(task, safety.limits.taskTimeoutSeconds, signal, async (bounded) => {
      const refused = refusedByPolicy(task, safety);
      if (refused) throw refused;
      const config = resolveTemplates(task.action_config, {
        results: referencedResults(task.action_config, tasks),
        variables: (state.memory.variables ?? {}) as Record<string, unknown>,
        taskIds: { has: (id: string) => id in tasks },
        env: envScope(deps.env ?? {}, safety),
      });
      return deps.runAction(task.action_type, config, deps.actionContext(rt.runId, task, bounded, safety));
    }),
  );
}

function applyOutcome(task: TaskState, outcome: TaskOutcome, rt: RunRuntime): { patch: TaskPatch; entry: HistoryEntry } {
  const duration_ms = outcome.endedAt - outcome.startedAt;
  const timing = {
    finished_at: new Date(outcome.endedAt).toISOString(),
    duration_ms,
    total_ms: (task.total_ms ?? 0) + duration_ms,
  };
  const at = timing.finished_at;
  const base = { task_id: task.id, action_type: task.action_type, attempt: outcome.attempt, duration_ms };
  if (outcome.ok) {
    rt.emitAfterCommit({ type: "task_completed", ...base });
    return {
      patch: { status: "completed", result: outcome.result, error: undefined, ...timing },
      entry: { at, event: "task_completed", task_id: task.id, attempt: outcome.attempt },
    };
  }
  const error = outcome.error ?? ensureWorkflowError(new Error("unknown failure")).toJSON();
  rt.emitAfterCommit({ type: "task_failed", ...base, error });
  return {
    patch: { status: "failed", error, ...timing },
    entry: { at, event: "task_failed", task_id: task.id, attempt: outcome.attempt, detail: `${error.code}: ${error.message}` },
  };
}

/**
 * `execute`: start every task `decide` marked running, then wait for the next task to end (or a
 * retry to come due) and record each ended task at once, so a checkpoint holds it immediately.
 */
export function executeNode(deps: GraphDeps) {
  return async (state: WorkflowStateValue): Promise<WorkflowStateUpdate> => {
    const rt = deps.runtime(state.context.workflow_id);
    for (const id of indexOf(state.tasks).running) {
      // A running task with nothing in flight was just marked by decide, or was cut off by a crash.
      const task = state.tasks[id] as TaskState;
      if (!rt.hasStarted(id, task.attempts)) launch(deps, rt, state, task);
    }
    const outcomes = await rt.next(nextRetryAt(state.tasks));
    if (outcomes.length === 0 && rt.signal.aborted) return cancelled(state, rt, deps.now());
    const tasks: Record<string, TaskPatch> = {};
    const history: HistoryEntry[] = [];
    const failures: string[] = [];
    for (const outcome of outcomes) {
      const task = state.tasks[outcome.id];
      if (task?.status !== "running" || task.attempts !== outcome.attempt) continue;
      const { patch, entry } = applyOutcome(task, outcome, rt);
      tasks[task.id] = patch;
      history.push(entry);
      if (!outcome.ok) failures.push(task.id);
    }
    if (failures.length) return { tasks, history, pending_failures: [...state.pending_failures, ...failures] };
    markDependents(deps, rt, state, tasks, history);
    return { tasks, history };
  };
}

/**
 * Dataflow: mark the tasks the finished ones unblocked as running in this same step, instead of one
 * step later in decide. Durable runs launch them at the start of the next execute step, after this
 * step's checkpoint is written: a task is recorded as started before its side effects begin, and a
 * completion is durable before any dependent acts on it (a crash repeats at most the tasks in flight).
 * Runs kept in memory launch them at once.
 */
function markDependents(deps: GraphDeps, rt: RunRuntime, state: WorkflowStateValue, patches: Record<string, TaskPatch>, history: HistoryEntry[]): void {
  if (rt.signal.aborted || Object.keys(patches).length === 0) return;
  const now = deps.now();
  const at = new Date(now).toISOString();
  // Tasks waiting for approval stay pending: decide asks for them once nothing else runs.
  const hold = approvalHold(state.tasks, safetyOf(state.context));
  for (const id of selectReady(state.tasks, state.context.concurrency, now, patches, hold)) {
    const task = state.tasks[id] as TaskState;
    patches[id] = { status: "running", attempts: task.attempts + 1, started_at: at, retry_at: undefined };
    history.push({ at, event: "task_started", task_id: id, attempt: task.attempts + 1 });
    // Results of tasks finishing in this step are in `patches`, not yet in the state: resolve against both.
    if (deps.startEagerly) launch(deps, rt, { ...state, tasks: withPatches(state.tasks, patches, task) }, { ...task, ...patches[id] } as TaskState, true);
  }
}
/**
 * The tasks a launched task may reference, with this step's patches applied. Validation makes every
 * task a config references a dependency, so the dependencies are all it can read.
 */
function withPatches(tasks: Record<string, TaskState>, patches: Record<string, TaskPatch>, task: TaskState): Record<string, TaskState> {
  const view: Record<string, TaskState> = {};
  for (const d of task.dependencies) {
    const base = tasks[d];
    if (base) view[d] = { ...base, ...patches[d] } as TaskState;
  }
  return view;
}

/** The run was cancelled from outside while nothing was in flight: end it, skipping what never started. */
function cancelled(state: WorkflowStateValue, rt: RunRuntime, now: number): WorkflowStateUpdate {
  const reason = String(rt.signal.reason ?? "the run was cancelled");
  const tasks: Record<string, TaskPatch> = {};
  const error = (rt.cancelError ?? new CancelledError(`cancelled: ${reason}`)).toJSON();
  for (const t of Object.values(state.tasks)) {
    if (t.status === "pending") tasks[t.id] = { status: "skipped", skip_reason: `run cancelled: ${reason}` };
    if (t.status === "running") tasks[t.id] = { status: "failed", error };
  }
  return {
    tasks,
    context: { status: "failed", error: (rt.cancelError ?? new CancelledError(reason)).toJSON() },
    history: [{ at: new Date(now).toISOString(), event: "task_cancelled", detail: reason }],
  };
}
