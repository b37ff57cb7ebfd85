import type { LlmBudget } from "../../model/planner.js";
import type { LlmUsage } from "../../model/planner.js";
import { CancelledError } from "../../model/errors.js";
import { safetyOf } from "../../model/safety-policy.js";
import { decideFailure, type FailureDecision, mergePatch, needsAdvice } from "../../failure-policy/decide.js";
import { transitiveDependents } from "../../scheduler/ready.js";
import type { HistoryEntry, RunContext, TaskPatch, TaskState } from "../../model/task-state.js";
import type { WorkflowStateUpdate, WorkflowStateValue } from "../workflow-state.js";
import type { GraphDeps } from "../graph-deps.js";

interface Outcome {
  tasks: Record<string, TaskPatch>;
  history: HistoryEntry[];
  failedBy?: string;
}

function apply(deps: GraphDeps, state: WorkflowStateValue, task: TaskState, decision: FailureDecision, out: Outcome): void {
  const now = deps.now();
  const at = new Date(now).toISOString();
  const rt = deps.runtime(state.context.workflow_id);
  switch (decision.kind) {
    case "retry":
      out.tasks[task.id] = { status: "pending", retry_at: now + decision.delayMs };
      out.history.push({ at, event: "task_retry", task_id: task.id, attempt: task.attempts, detail: `in ${decision.delayMs} ms: ${decision.reason}` });
      rt.emitAfterCommit({ type: "task_retry", task_id: task.id, attempt: task.attempts, delay_ms: decision.delayMs, detail: decision.reason });
      return;
    case "modify":
      out.tasks[task.id] = { status: "pending", modified: true, action_config: mergePatch(task.action_config, decision.patch) };
      out.history.push({ at, event: "task_modified", task_id: task.id, attempt: task.attempts, detail: `patch ${JSON.stringify(decision.patch)}: ${decision.reason}` });
      rt.emitAfterCommit({ type: "task_modified", task_id: task.id, attempt: task.attempts, detail: decision.reason });
      return;
    case "skip":
      skip(state, task.id, `skipped after failing (${decision.reason})`, out, at, rt);
      for (const id of transitiveDependents(state.tasks, task.id)) {
        if (state.tasks[id]?.status === "pending") skip(state, id, `dependency "${task.id}" was skipped`, out, at, rt);
      }
      return;
    case "fail":
      out.failedBy ??= task.id;
      out.history.push({ at, event: "task_failed", task_id: task.id, attempt: task.attempts, detail: `fails the workflow: ${decision.reason}` });
      return;
  }
}

function skip(state: WorkflowStateValue, id: string, reason: string, out: Outcome, at: string, rt: ReturnType<GraphDeps["runtime"]>): void {
  out.tasks[id] = { status: "skipped", skip_reason: reason };
  out.history.push({ at, event: "task_skipped", task_id: id, detail: reason });
  rt.emitAfterCommit({ type: "task_skipped", task_id: id, action_type: state.tasks[id]?.action_type, detail: reason });
}

/** End the run: cancel what is in flight through its AbortSignal, skip what never started. */
function failRun(deps: GraphDeps, state: WorkflowStateValue, failedBy: string, out: Outcome): Partial<RunContext> {
  const reason = `workflow failed: task "${failedBy}" failed`;
  deps.runtime(state.context.workflow_id).cancel(reason);
  for (const t of Object.values(state.tasks)) {
    if (out.tasks[t.id]) continue;
    if (t.status === "running") out.tasks[t.id] = { status: "failed", error: new CancelledError(`cancelled: ${reason}`).toJSON() };
    if (t.status === "pending") out.tasks[t.id] = { status: "skipped", skip_reason: reason };
  }
  return { status: "failed", error: state.tasks[failedBy]?.error };
}

/** `handle_failure`: for each failed attempt choose retry, modify, skip or fail (src/failure-policy/decide.ts). */
export function handleFailureNode(deps: GraphDeps) {
  return async (state: WorkflowStateValue): Promise<WorkflowStateUpdate> => {
    const out: Outcome = { tasks: {}, history: [] };
    const rt = deps.runtime(state.context.workflow_id);
    const usage = { calls: 0, prompt_tokens: 0, completion_tokens: 0 };
    for (const id of state.pending_failures) {
      const task = state.tasks[id];
      if (!task?.error || task.status !== "failed") continue;
      const advice = needsAdvice(task, task.error) ? await deps.advise(task, task.error, rt.signal, budgetOf(state, usage)) : undefined;
      usage.calls += advice?.usage?.calls ?? 0;
      usage.prompt_tokens += advice?.usage?.prompt_tokens ?? 0;
      usage.completion_tokens += advice?.usage?.completion_tokens ?? 0;
      apply(deps, state, task, decideFailure(task, task.error, advice, deps.random), out);
    }
    const context: Partial<RunContext> = out.failedBy ? failRun(deps, state, out.failedBy, out) : {};
    if (usage.calls) {
      context.llm_calls = (state.context.llm_calls ?? 0) + usage.calls;
      context.llm_prompt_tokens = (state.context.llm_prompt_tokens ?? 0) + usage.prompt_tokens;
      context.llm_completion_tokens = (state.context.llm_completion_tokens ?? 0) + usage.completion_tokens;
    }
    return { tasks: out.tasks, history: out.history, pending_failures: [], context };
  };
}

/** The run's LLM allowance, with what it spent before this node and in it so far. */
function budgetOf(state: WorkflowStateValue, inNode: LlmUsage): LlmBudget {
  const { limits } = safetyOf(state.context);
  const c = state.context;
  return {
    maxCalls: limits.maxLlmCalls,
    maxTokens: limits.maxLlmTokens,
    spent: {
      calls: (c.llm_calls ?? 0) + inNode.calls,
      prompt_tokens: (c.llm_prompt_tokens ?? 0) + inNode.prompt_tokens,
      completion_tokens: (c.llm_completion_tokens ?? 0) + inNode.completion_tokens,
    },
  };
}
