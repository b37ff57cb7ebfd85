import { ErrorCode, type WorkflowError } from "../model/errors.js";
import type { RunStatus } from "../model/task-state.js";

/**
 * The CLI's exit codes: 0 completed; 1 failed, completed with errors, or an error while running;
 * 2 bad input (nothing was run); 3 paused for approval.
 */
/** Exit code the CLI uses for an error: 2 for bad input, 1 otherwise. */
export function exitCodeFor(err: WorkflowError): number {
  const badInput: readonly ErrorCode[] = [
    ErrorCode.PlanInvalid,
    ErrorCode.PlanCycle,
    ErrorCode.GoalNotUnderstood,
    ErrorCode.ConfigInvalid,
    ErrorCode.RunNotFound,
    ErrorCode.ScheduleNotFound,
    ErrorCode.RunExists,
    ErrorCode.PlanTooLarge,
    ErrorCode.PlanRefused,
    // Another process drives the run (its lease): wait (--wait) or try later.
    ErrorCode.RunBusy,
    ErrorCode.NotAwaitingApproval,
    // Resuming a run that already finished: nothing to do, the request was wrong.
    ErrorCode.RunFinished,
    // A workflow file or its inputs that cannot run, a name not in the library, a version that exists.
    ErrorCode.WorkflowInvalid,
    ErrorCode.WorkflowNotFound,
    ErrorCode.WorkflowExists,
    ErrorCode.InputInvalid,
  ];
  return badInput.includes(err.code) ? 2 : 1;
}

/** 0 completed; 3 paused for approval; 1 failed or completed_with_errors. */
export function exitCodeForStatus(status: RunStatus): number {
  if (status === "awaiting_approval") return 3;
  return status === "completed" ? 0 : 1;
}
