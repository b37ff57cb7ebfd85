import type { SerializedError } from "../model/errors.js";
import type { ApprovalRequest } from "../safety/approval/approval.js";
import type { ActionType } from "../model/plan-schema.js";
import { criticalPath } from "../scheduler/ready.js";
import { childRunId } from "../actions/workflow/run.js";
import { resolveTemplates } from "../plan/template.js";
import type { HistoryEntry, RunStatus, TaskState, TaskStatus } from "../model/task-state.js";
import type { WorkflowStateValue } from "../graph/workflow-state.js";

export interface TaskReport {
  id: string;
  name?: string;
  action_type: ActionType;
  action_config: Record<string, unknown>;
  dependencies: string[];
  status: TaskStatus;
  attempts: number;
  result?: unknown;
  error?: SerializedError;
  skip_reason?: string;
  /** "condition": skipped because a `when` was false (not an error). */
  skipped_by?: "condition";
  /** A `workflow` task: the id of its child run. */
  child_run_id?: string;
  started_at?: string;
  finished_at?: string;
  duration_ms?: number;
}

export interface RunMetrics {
  tasks_total: number;
  tasks_completed: number;
  tasks_failed: number;
  tasks_skipped: number;
  retries: number;
  /** Time the run was working: from its start to its end (or now), less the time it waited for approval. */
  wall_ms: number;
  /** Time the run waited for a person's approval (so far, while it waits). */
  paused_ms: number;
  /** Longest dependency chain, weighted by each task's measured time. */
  critical_path_ms: number;
  /** Sum of every attempt's time. */
  task_time_ms: number;
  /** task_time_ms / wall_ms: how much the DAG's parallelism bought. */
  parallel_speedup: number;
  llm_calls: number;
  llm_tokens: number;
  /** True when the plan came from the plan cache (no planning, no LLM call). */
  plan_cache_hit: boolean;
}

/** What `engine.run` returns and `--json` prints. */
export interface WorkflowResult {
  workflow_id: string;
  status: RunStatus;
  goal?: string;
  planner?: string;
  started_at: string;
  finished_at?: string;
  error?: SerializedError;
  tasks: TaskReport[];
  metrics: RunMetrics;
  /** With status "awaiting_approval": the tasks the run waits for a decision on. */
  approval?: ApprovalRequest;
  /** The library workflow the run was started from, `name@version`. */
  workflow?: string;
  /** The workflow's outputs, resolved from the finished tasks' results (those that could be). */
  outputs?: Record<string, unknown>;
  /** A child run: the run and the `workflow` task that started it. */
  parent?: { run_id: string; task_id: string };
}

function report(t: TaskState, runId: string): TaskReport {
  const { id, name, action_type, action_config, dependencies, status, attempts } = t;
  return {
    id,
    ...(name === undefined ? {} : { name }),
    action_type,
    action_config,
    dependencies,
    status,
    attempts,
    ...(t.result === undefined ? {} : { result: t.result }),
    ...(t.error === undefined || status === "completed" ? {} : { error: t.error }),
    ...(t.skip_reason === undefined ? {} : { skip_reason: t.skip_reason }),
    ...(t.skipped_by === undefined ? {} : { skipped_by: t.skipped_by }),
    ...(action_type === "workflow" && t.attempts > 0 ? { child_run_id: childRunId(runId, id) } : {}),
    ...(t.started_at === undefined ? {} : { started_at: t.started_at }),
    ...(t.finished_at === undefined ? {} : { finished_at: t.finished_at }),
    ...(t.duration_ms === undefined ? {} : { duration_ms: t.duration_ms }),
  };
}

/**
 * Time spent waiting for approval: each decision (task_approved/task_rejected lines, one time per decision)
 * ends a pause that began at the history line before it; a run waiting now has been paused since its last line.
 */
function pausedMs(history: readonly HistoryEntry[], waitingNow: boolean, now: number): number {
  let paused = 0;
  let last: number | undefined;
  let lastDecision: string | undefined;
  for (const h of history) {
    const at = Date.parse(h.at);
    const decision = h.event === "task_approved" || h.event === "task_rejected";
    if (decision && h.at !== lastDecision && last !== undefined) paused += Math.max(0, at - last);
    if (decision) lastDecision = h.at;
    last = at;
  }
  if (waitingNow && last !== undefined) paused += Math.max(0, now - last);
  return paused;
}

/** Figures about a run, derived from its state; `waiting`: it is paused for approval now. */
export function computeMetrics(state: WorkflowStateValue, waiting = false, now = Date.now()): RunMetrics {
  const tasks = Object.values(state.tasks);
  const count = (s: TaskStatus) => tasks.filter((t) => t.status === s).length;
  const started = Date.parse(state.context.started_at);
  const finished = state.context.finished_at ? Date.parse(state.context.finished_at) : now;
  const paused_ms = pausedMs(state.history, waiting && !state.context.finished_at, now);
  const wall_ms = Math.max(0, finished - started - paused_ms);
  const task_time_ms = tasks.reduce((sum, t) => sum + (t.total_ms ?? 0), 0);
  const { llm_calls = 0, llm_prompt_tokens = 0, llm_completion_tokens = 0 } = state.context;
  return {
    tasks_total: tasks.length,
    tasks_completed: count("completed"),
    tasks_failed: count("failed"),
    tasks_skipped: count("skipped"),
    retries: state.history.filter((h) => h.event === "task_retry" || h.event === "task_modified").length,
    wall_ms,
    paused_ms,
    critical_path_ms: criticalPath(tasks, (t) => t.total_ms ?? 0),
    task_time_ms,
    parallel_speedup: wall_ms > 0 ? Math.round((task_time_ms / wall_ms) * 100) / 100 : 0,
    llm_calls,
    llm_tokens: llm_prompt_tokens + llm_completion_tokens,
    plan_cache_hit: state.context.plan_cache === "hit",
  };
}

/**
 * The public result of a run, from its state: the one place a run's status is derived for `runs show`,
 * `runs list` (through the record written from it), `--json` and the API. `waiting`: the approval the run is
 * paused for, if it is paused.
 */
export function toResult(state: WorkflowStateValue, waiting?: ApprovalRequest): WorkflowResult {
  const { context } = state;
  return {
    workflow_id: context.workflow_id,
    status: waiting && !context.finished_at ? "awaiting_approval" : context.status,
    ...(waiting && !context.finished_at ? { approval: waiting } : {}),
    ...(context.goal === undefined ? {} : { goal: context.goal }),
    ...(context.planner === undefined ? {} : { planner: context.planner }),
    started_at: context.started_at,
    ...(context.finished_at === undefined ? {} : { finished_at: context.finished_at }),
    ...(context.error === undefined ? {} : { error: context.error }),
    tasks: Object.values(state.tasks).map((t) => report(t, context.workflow_id)),
    metrics: computeMetrics(state, waiting !== undefined),
    ...(context.workflow === undefined ? {} : { workflow: context.workflow }),
    ...(context.outputs === undefined ? {} : { outputs: outputsOf(state, context.outputs) }),
    ...(context.parent === undefined ? {} : { parent: context.parent }),
  };
}

/** Each output resolved against the completed tasks' results; one that cannot be (its task did not complete) is left out. */
function outputsOf(state: WorkflowStateValue, spec: Record<string, string>): Record<string, unknown> {
  const results: Record<string, unknown> = {};
  for (const t of Object.values(state.tasks)) if (t.status === "completed") results[t.id] = t.result;
  const scope = {
    results,
    variables: (state.memory.variables ?? {}) as Record<string, unknown>,
    taskIds: new Set(Object.keys(state.tasks)),
  };
  const out: Record<string, unknown> = {};
  for (const [name, ref] of Object.entries(spec)) {
    try {
      Object.defineProperty(out, name, { value: resolveTemplates(ref, scope), enumerable: true, writable: true, configurable: true });
    } catch {
      // Not resolvable: its task was skipped or failed; the output is absent rather than wrong.
    }
  }
  return out;
}
