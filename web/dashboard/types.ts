// The HTTP API's shapes as the dashboard reads them (docs/server.md). Statuses and events are the engine's own
// types, imported as types only: nothing of src/ is bundled.
import type { SerializedError } from "../../src/model/errors.js";
import type { WorkflowEvent, WorkflowEventType } from "../../src/model/events.js";
import type { RunStatus, TaskStatus } from "../../src/model/task-state.js";

export type { TaskStatus, WorkflowEvent, WorkflowEventType };

/** A row of `GET /runs`. */
export interface RunSummary {
  run_id: string;
  goal?: string;
  status: RunStatus;
  created_at: string;
  updated_at: string;
  finished_at?: string;
  tasks_total?: number;
  duration_ms?: number;
}

export interface RunList {
  runs: RunSummary[];
  next_cursor?: string;
}

/** A task of `GET /runs/:id`. */
export interface TaskView {
  id: string;
  name?: string;
  action_type: string;
  action_config: Record<string, unknown>;
  dependencies: string[];
  status: TaskStatus;
  attempts: number;
  result?: unknown;
  error?: SerializedError;
  skip_reason?: string;
  started_at?: string;
  finished_at?: string;
  duration_ms?: number;
}

/** One attempt of a task, for the timeline. */
export interface AttemptView {
  task_id: string;
  attempt: number;
  started_at: string;
  ended_at?: string;
  outcome?: string;
}

interface ApprovalView {
  kind: "approval";
  tasks: { id: string; action_type: string; action: string }[];
}

/** `GET /runs/:id`: the `--json` shape plus attempts and the run record. */
export interface RunDetail {
  workflow_id: string;
  status: RunStatus;
  goal?: string;
  tasks: TaskView[];
  metrics: Record<string, number | boolean>;
  approval?: ApprovalView;
  error?: SerializedError;
  attempts?: AttemptView[];
  record?: RunSummary;
}

/** A plan as `POST /plan` returns it: the tasks are what the DAG needs. */
export interface PlanPreview {
  plan: { tasks: Pick<TaskView, "id" | "name" | "action_type" | "action_config" | "dependencies">[] };
}

/** `202` of the run actions and of `POST /runs`. */
export interface RunAccepted {
  run_id: string;
  status: RunStatus;
}
