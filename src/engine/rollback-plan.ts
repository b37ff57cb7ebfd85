import { ErrorCode, WorkflowError } from "../model/errors.js";
import type { WorkflowStateValue } from "../graph/workflow-state.js";
import { compensationTasks } from "../scheduler/rollback.js";

/** One thing a rollback would undo: the task, and the action that undoes it (or why it cannot be). */
export interface UndoStep {
  task_id: string;
  action_type: string;
  action_config: Record<string, unknown>;
  /** The compensations that run before this one (of tasks that depended on it). */
  after: string[];
  cannot?: string;
}

/** What rolling back a finished run would undo; refuses a run that has not finished or was already rolled back. */
export function rollbackPlan(runId: string, state: WorkflowStateValue): UndoStep[] {
  const { status, finished_at } = state.context;
  if (!finished_at) {
    throw new WorkflowError(
      ErrorCode.RunExists,
      `Run "${runId}" has not finished (${status}); only a finished run is rolled back. Cancel it first: runs cancel ${runId}`,
    );
  }
  if (status === "rolled_back" || status === "rollback_failed" || state.context.phase === "rollback") {
    throw new WorkflowError(ErrorCode.RunFinished, `Run "${runId}" was already rolled back (${status}).`, { details: { status } });
  }
  return Object.values(compensationTasks(state.tasks)).map((t) => ({
    task_id: t.compensates as string,
    action_type: t.action_type,
    action_config: t.action_config,
    after: t.dependencies.slice(1).map((d) => d.replace(/^undo:/, "")),
    ...(t.skip_reason ? { cannot: t.skip_reason } : {}),
  }));
}
