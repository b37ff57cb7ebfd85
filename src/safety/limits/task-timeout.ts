import { ErrorCode, WorkflowError } from "../../model/errors.js";
import type { TaskState } from "../../model/task-state.js";
import { type LongTimer, setLongTimeout } from "../../../utils/timer.js";

/**
 * Run one attempt with a wall-time limit: the action's signal aborts at the limit, and the attempt
 * fails with TASK_TIMEOUT then even if the action ignores its signal (it never hangs the run).
 */
export async function withTaskTimeout<T>(
  task: Pick<TaskState, "id" | "action_type">,
  seconds: number,
  signal: AbortSignal,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  // One child controller instead of AbortSignal.any, which is costly per task on Node 20.
  const limit = new AbortController();
  const follow = () => limit.abort(signal.reason);
  if (signal.aborted) follow();
  else signal.addEventListener("abort", follow, { once: true });
  const bounded = limit.signal;
  let timer: LongTimer | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setLongTimeout(() => {
      const error = new WorkflowError(
        ErrorCode.TaskTimeout,
        `Task "${task.id}" (${task.action_type}) ran longer than its limit of ${seconds} s and was stopped. ` +
          "Raise the limit (limits.taskTimeoutSeconds) if it needs more time.",
        { retryable: true, details: { task_id: task.id, limit_seconds: seconds } },
      );
      limit.abort(error.message);
      reject(error);
    }, seconds * 1000);
  });
  try {
    return await Promise.race([work(bounded), expired]);
  } finally {
    timer?.clear();
    signal.removeEventListener("abort", follow);
  }
}
