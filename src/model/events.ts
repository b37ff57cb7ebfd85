import type { SerializedError } from "./errors.js";
import type { RunStatus } from "./task-state.js";

export const WorkflowEventType = [
  "run_started",
  "plan_ready",
  "task_started",
  "task_completed",
  "task_failed",
  "task_retry",
  "task_modified",
  "task_skipped",
  "run_completed",
  "approval_requested",
  /** A failed run began undoing what completed (plan on_failure "compensate", --rollback, runs rollback). */
  "rollback_started",
] as const;
export type WorkflowEventType = (typeof WorkflowEventType)[number];

/** A live event about a run, emitted as it happens (engine.stream, the CLI's progress lines). */
export interface WorkflowEvent {
  type: WorkflowEventType;
  run_id: string;
  at: string;
  task_id?: string;
  action_type?: string;
  attempt?: number;
  duration_ms?: number;
  /** Delay before a retry starts. */
  delay_ms?: number;
  status?: RunStatus;
  error?: SerializedError;
  detail?: string;
}

export type EventListener = (event: WorkflowEvent) => void;
