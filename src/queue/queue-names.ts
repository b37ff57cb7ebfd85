import { ActionType } from "../model/plan-schema.js";

/**
 * The Redis names of the task queues. Every key BullMQ writes starts with `<keyPrefix>bull:` (the engine's
 * prefix, `wfe:` by default), one queue per action type, so a worker started with `--actions api_call` consumes
 * only the api_call queue and an action type nobody serves waits in its own queue without holding up the rest.
 */

/** BullMQ's key prefix under the engine's own (BullMQ appends `:<queue>:...`). */
export function bullPrefix(keyPrefix: string): string {
  return `${keyPrefix}bull`;
}

/** The queue of one action type, e.g. `tasks-api_call` (BullMQ refuses ':' in queue names). */
export function queueName(actionType: ActionType): string {
  return `tasks-${actionType}`;
}

/** The pub/sub channel on which coordinators ask workers to abort an active attempt. */
export function cancelChannel(keyPrefix: string): string {
  return `${keyPrefix}cancel`;
}

/** The key marking an attempt as cancelled, read by a worker before it starts the job (covers a cancel sent while no worker held it). */
export function cancelMarkerKey(keyPrefix: string, jobId: string): string {
  return `${keyPrefix}cancelled:${jobId}`;
}

/**
 * The BullMQ job id of an attempt: its attempt id (`runId:taskId:attempt`) with `%` and `:` percent-encoded,
 * because BullMQ refuses custom ids holding ':' (bar its legacy three-part repeat ids) and integer ids. The
 * encoding is deterministic and one-to-one, so an enqueue repeated after a crash names the same job.
 */
export function jobIdOf(attemptId: string): string {
  return attemptId.replace(/[%:]/g, (c) => (c === "%" ? "%25" : "%3A"));
}

/**
 * The action types a worker may be asked to serve, in a fixed order: all but `workflow`, whose child run the
 * coordinating engine drives itself (src/executor/routed-executor.ts).
 */
export const ACTION_TYPES: readonly ActionType[] = ActionType.filter((t) => t !== "workflow");
