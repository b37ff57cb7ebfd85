import type { TraceCarrier } from "./trace-carrier.js";
import type { SerializedError } from "./errors.js";
import type { TaskSpec } from "./plan-schema.js";
import type { RunSafety } from "./safety-policy.js";
import type { PlanOrigin } from "./planner.js";
import type { FileUndo } from "./file-undo.js";

export const TaskStatus = ["pending", "running", "completed", "failed", "skipped"] as const;
export type TaskStatus = (typeof TaskStatus)[number];

export const RunStatus = [
  "planning",
  "running",
  "awaiting_approval",
  "completed",
  "completed_with_errors",
  "failed",
  /** A failed run whose completed tasks were all undone (README, Rollback). */
  "rolled_back",
  /** A failed run whose rollback could not undo everything: the run's error names what is left. */
  "rollback_failed",
] as const;
export type RunStatus = (typeof RunStatus)[number];

/** A task as the graph state holds it: its spec (action_config may be patched by `modify`) and its progress. */
export interface TaskState extends TaskSpec {
  status: TaskStatus;
  attempts: number;
  result?: unknown;
  error?: SerializedError;
  /** Earliest time (epoch ms) a retry may start. */
  retry_at?: number;
  started_at?: string;
  finished_at?: string;
  duration_ms?: number;
  /** Summed duration of every attempt, for metrics. */
  total_ms?: number;
  skip_reason?: string;
  /** Set once a `modify` patch has been applied, so a task is modified at most once. */
  modified?: boolean;
  /** A person's decision on a mutating task (approve mode "ask"). */
  approval?: "approved" | "rejected";
  /** Why a skipped task is not an error: its `when` was false, or a dependency's was (and it did not opt in). */
  skipped_by?: "condition";
  /** A `for_each` task whose items have been laid out: it waits for them (it holds no concurrency slot). */
  loop?: LoopProgress;
  /** An item of a `for_each` task: the loop task's id and the item's index. */
  loop_of?: string;
  loop_index?: number;
  /** For a compensation task (rollback): the id of the task it undoes. */
  compensates?: string;
  /** What a file_operation replaced (kept to restore it on rollback; src/actions/file-operation/undo.ts). */
  undo?: FileUndo;
}

/** How far a `for_each` task is: items laid out, items ended (completed or skipped). */
interface LoopProgress {
  total: number;
  done: number;
}

export type TaskPatch = Partial<TaskState>;

type HistoryEvent =
  | "planned"
  | "loop_started"
  | "task_started"
  | "task_completed"
  | "task_failed"
  | "task_retry"
  | "task_modified"
  | "task_skipped"
  | "task_cancelled"
  | "approval_requested"
  | "task_approved"
  | "task_rejected"
  | "rollback_started"
  | "run_completed";

/** One line of the execution history kept in state. */
export interface HistoryEntry {
  at: string;
  event: HistoryEvent;
  task_id?: string;
  attempt?: number;
  detail?: string;
}

export interface RunContext {
  workflow_id: string;
  goal?: string;
  status: RunStatus;
  started_at: string;
  finished_at?: string;
  planner?: PlanOrigin;
  concurrency: number;
  error?: SerializedError;
  llm_calls?: number;
  llm_prompt_tokens?: number;
  llm_completion_tokens?: number;
  /** "hit" when the plan came from the Redis plan cache. */
  plan_cache?: "hit" | "miss";
  /** The run's safety policy, fixed at its start (absent in runs from before policies). */
  safety?: RunSafety;
  /** The library workflow the run was started from, `name@version`; a resume keeps it. */
  workflow?: string;
  /** The workflow's outputs: names to references into the tasks' results. */
  outputs?: Record<string, string>;
  /** The run whose `workflow` task started this one as a child. */
  parent?: { run_id: string; task_id: string };

  /** What the run does when it fails: "compensate" rolls back what completed (plan `on_failure`, `--rollback`). */
  on_failure?: "stop" | "compensate";
  /** Set while the run undoes what completed (the compensation tasks run); the run then ends rolled_back or rollback_failed. */
  phase?: "rollback";
  /** The run's first trace (its root span), when tracing was on: a resumed or approved run's trace links to it. */
  trace?: TraceCarrier;
}
