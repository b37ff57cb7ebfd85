import { z } from "zod";
import { ErrorCode, WorkflowError } from "../../model/errors.js";
import type { TaskState } from "../../model/task-state.js";
import { describeMutation, isMutating } from "./mutation.js";
import type { RunSafety } from "../../model/safety-policy.js";

/** What a paused run asks for: the mutating tasks that are ready and wait for a person's decision. */
export interface ApprovalRequest {
  kind: "approval";
  tasks: { id: string; action_type: string; action: string }[];
}

/** The answer `runs approve` / `runs reject` (or the terminal prompt) resumes a paused run with. */
export const ApprovalDecision = z.strictObject({
  approve: z.boolean(),
  /** The tasks decided; default: every task the request named. */
  tasks: z.array(z.string()).optional(),
  by: z.string().max(200).optional(),
  reason: z.string().max(2000).optional(),
});
export type ApprovalDecision = z.infer<typeof ApprovalDecision>;

/** True when the task may not start before a person approves it (approve mode "ask"). */
function needsApproval(task: TaskState, safety: RunSafety): boolean {
  return safety.approve === "ask" && task.approval !== "approved" && isMutating(task);
}

/**
 * The scheduler's hold for tasks waiting for approval, or undefined when nothing can wait (approve mode is
 * not "ask"): without a hold, selecting ready tasks stops at the concurrency limit, as it always did.
 */
export function approvalHold(
  tasks: Readonly<Record<string, TaskState>>,
  safety: RunSafety,
): { test(id: string): boolean; held: string[] } | undefined {
  if (safety.approve !== "ask") return undefined;
  return { test: (id) => needsApproval(tasks[id] as TaskState, safety), held: [] };
}

/** Under approve mode "never", a mutating task is refused before it does anything. */
export function refusedByPolicy(
  task: Pick<TaskState, "id" | "action_type" | "action_config">,
  safety: RunSafety,
): WorkflowError | undefined {
  if (safety.approve !== "never" || !isMutating(task)) return undefined;
  return new WorkflowError(
    ErrorCode.ApprovalRefused,
    `Task "${task.id}" would ${describeMutation(task)}, and this run refuses mutating tasks (approve: "never"). ` +
      'Run it with approve: "ask" to decide task by task, or approve: "auto" to let it run.',
    { retryable: false, details: { rule: "approve-never", task_id: task.id, allow: "approve: ask | auto" } },
  );
}

/** The request for a set of held tasks. */
export function approvalRequest(tasks: readonly TaskState[]): ApprovalRequest {
  return {
    kind: "approval",
    tasks: tasks.map((t) => ({ id: t.id, action_type: t.action_type, action: describeMutation(t) })),
  };
}
