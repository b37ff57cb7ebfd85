import { inputIssues } from "../model/zod-issues.js";
import { ErrorCode, WorkflowError } from "../model/errors.js";
import type { WorkflowGraph } from "../graph/build-graph.js";
import { runViewOf, type WorkflowStateValue } from "../graph/workflow-state.js";
import { type ApprovalDecision, ApprovalDecision as DecisionSchema, type ApprovalRequest } from "../safety/approval/approval.js";
import type { RunContext } from "../model/task-state.js";

/** The approval request among LangGraph interrupts (`__interrupt__` of invoke's result, or a snapshot's). */
export function approvalIn(interrupts: readonly { value?: unknown }[] | undefined): ApprovalRequest | undefined {
  for (const pending of interrupts ?? []) {
    const value = pending.value as Partial<ApprovalRequest> | undefined;
    if (value?.kind === "approval" && Array.isArray(value.tasks)) return value as ApprovalRequest;
  }
  return undefined;
}

/** A stored run's pending approval, if it is paused, and its context, from one read of its state. */
export async function readPause(graph: WorkflowGraph, runId: string): Promise<{ waiting?: ApprovalRequest; context?: RunContext }> {
  const snapshot = await graph.getState({ configurable: { thread_id: runId } });
  const waiting = approvalIn(snapshot.tasks.flatMap((t) => t.interrupts ?? []));
  const values = snapshot.values as WorkflowStateValue | undefined;
  // With the run's policy in its context (runViewOf): the approver learns the {{env.NAME}} values it names.
  const context: RunContext | undefined = values?.context ? runViewOf(values).context : undefined;
  return { ...(waiting ? { waiting } : {}), ...(context?.workflow_id ? { context } : {}) };
}

/** Check a decision against what the run waits for; throws NOT_AWAITING_APPROVAL or CONFIG_INVALID. */
export function checkDecision(runId: string, waiting: ApprovalRequest | undefined, decision: ApprovalDecision): ApprovalDecision {
  if (!waiting) {
    throw new WorkflowError(
      ErrorCode.NotAwaitingApproval,
      `Run "${runId}" is not waiting for an approval. See its state with: node main.js runs show ${runId}`,
    );
  }
  const parsed = DecisionSchema.safeParse(decision, { reportInput: true });
  if (!parsed.success) {
    throw new WorkflowError(
      ErrorCode.ConfigInvalid,
      `Invalid approval decision: ${inputIssues(parsed.error)
        .map((i) => `${i.path || "decision"}: ${i.message}`)
        .join("; ")}.`,
    );
  }
  const known = new Set(waiting.tasks.map((t) => t.id));
  const unknown = (parsed.data.tasks ?? []).filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new WorkflowError(
      ErrorCode.ConfigInvalid,
      `Run "${runId}" is not waiting for approval of ${unknown.map((id) => `"${id}"`).join(", ")}; ` +
        `it waits for: ${[...known].join(", ")}.`,
    );
  }
  return parsed.data;
}
