import type { Advice } from "../model/advisor.js";
import { CancelledError, type SerializedError } from "../model/errors.js";
import type { LlmBudget, LlmUsage } from "../model/planner.js";
import { safetyOf } from "../model/safety-policy.js";
import type { RunContext, TaskState } from "../model/task-state.js";
import { decideFailure, type FailureDecision, mergePatch, needsAdvice } from "../failure-policy/decide.js";
import { transitiveDependents } from "./ready.js";
import type { RunLoop } from "./run-loop.js";
import { emptyStep, type RunView, type StepChanges, type StepUpdate } from "./run-view.js";
import { markSkipped } from "./transitions.js";
import { itemEnded } from "./loop-progress.js";

/** Asks the failure advisor, if there is one; undefined when there is none or it could not answer. */
export type AdviseFn = (
  task: TaskState,
  error: SerializedError,
  signal: AbortSignal,
  budget: LlmBudget,
) => Promise<(Omit<Advice, "usage"> & { usage?: LlmUsage }) | undefined>;

export interface FailureOptions {
  advise: AdviseFn;
  now(): number;
  random(): number;
}

interface Changes extends StepChanges {
  failedBy?: string;
}

/**
 * For each failed attempt, the failure policy (src/failure-policy/) picks retry (backoff, Retry-After
 * honoured), modify (a patch merged once), skip (with every dependent) or fail (the run: what is in flight
 * is aborted, what never started is skipped). The advisor is asked only when the rules leave it open.
 */
export async function handleFailures(view: RunView, loop: RunLoop, options: FailureOptions): Promise<StepUpdate> {
  const out: Changes = emptyStep();
  const usage: LlmUsage = { calls: 0, prompt_tokens: 0, completion_tokens: 0 };
  for (const id of view.pending_failures) {
    const task = view.tasks[id];
    if (!task?.error || task.status !== "failed") continue;
    const advice = needsAdvice(task, task.error)
      ? await options.advise(task, task.error, loop.signal, budgetOf(view.context, usage))
      : undefined;
    usage.calls += advice?.usage?.calls ?? 0;
    usage.prompt_tokens += advice?.usage?.prompt_tokens ?? 0;
    usage.completion_tokens += advice?.usage?.completion_tokens ?? 0;
    apply(view, loop, task, decideFailure(task, task.error, advice, options.random), out, options.now());
  }
  const context: Partial<RunContext> = out.failedBy ? failRun(view, loop, out.failedBy, out) : {};
  if (usage.calls) {
    context.llm_calls = (view.context.llm_calls ?? 0) + usage.calls;
    context.llm_prompt_tokens = (view.context.llm_prompt_tokens ?? 0) + usage.prompt_tokens;
    context.llm_completion_tokens = (view.context.llm_completion_tokens ?? 0) + usage.completion_tokens;
  }
  return { tasks: out.tasks, history: out.history, pending_failures: [], context };
}

function apply(view: RunView, loop: RunLoop, task: TaskState, decision: FailureDecision, out: Changes, now: number): void {
  const at = new Date(now).toISOString();
  switch (decision.kind) {
    case "retry":
      out.tasks[task.id] = { status: "pending", retry_at: now + decision.delayMs };
      out.history.push({
        at,
        event: "task_retry",
        task_id: task.id,
        attempt: task.attempts,
        detail: `in ${decision.delayMs} ms: ${decision.reason}`,
      });
      loop.events.emitAfterCommit({
        type: "task_retry",
        task_id: task.id,
        attempt: task.attempts,
        delay_ms: decision.delayMs,
        detail: decision.reason,
      });
      return;
    case "modify":
      out.tasks[task.id] = { status: "pending", modified: true, action_config: mergePatch(task.action_config, decision.patch) };
      out.history.push({
        at,
        event: "task_modified",
        task_id: task.id,
        attempt: task.attempts,
        detail: `patch ${JSON.stringify(decision.patch)}: ${decision.reason}`,
      });
      loop.events.emitAfterCommit({ type: "task_modified", task_id: task.id, attempt: task.attempts, detail: decision.reason });
      return;
    case "skip":
      skip(view, loop, task.id, `skipped after failing (${decision.reason})`, out, at);
      if (task.loop_of !== undefined) itemEnded(view, out, task, at, loop.events);
      for (const id of transitiveDependents(view.tasks, task.id)) {
        if (view.tasks[id]?.status === "pending") skip(view, loop, id, `dependency "${task.id}" was skipped`, out, at);
      }
      return;
    case "fail":
      out.failedBy ??= task.id;
      out.history.push({
        at,
        event: "task_failed",
        task_id: task.id,
        attempt: task.attempts,
        detail: `fails the workflow: ${decision.reason}`,
      });
      return;
  }
}

function skip(view: RunView, loop: RunLoop, id: string, reason: string, out: Changes, at: string): void {
  markSkipped(out, id, reason, at);
  loop.events.emitAfterCommit({ type: "task_skipped", task_id: id, action_type: view.tasks[id]?.action_type, detail: reason });
}

/** End the run: cancel what is in flight through its AbortSignal, skip what never started. */
function failRun(view: RunView, loop: RunLoop, failedBy: string, out: Changes): Partial<RunContext> {
  const reason = `workflow failed: task "${failedBy}" failed`;
  loop.cancel(reason);
  for (const t of Object.values(view.tasks)) {
    if (out.tasks[t.id]) continue;
    if (t.status === "running") out.tasks[t.id] = { status: "failed", error: new CancelledError(`cancelled: ${reason}`).toJSON() };
    if (t.status === "pending") out.tasks[t.id] = { status: "skipped", skip_reason: reason };
  }
  return { status: "failed", error: view.tasks[failedBy]?.error };
}

/** The run's LLM allowance, with what it spent before this step and in it so far. */
function budgetOf(c: RunContext, inStep: LlmUsage): LlmBudget {
  const { limits } = safetyOf(c);
  return {
    maxCalls: limits.maxLlmCalls,
    maxTokens: limits.maxLlmTokens,
    spent: {
      calls: (c.llm_calls ?? 0) + inStep.calls,
      prompt_tokens: (c.llm_prompt_tokens ?? 0) + inStep.prompt_tokens,
      completion_tokens: (c.llm_completion_tokens ?? 0) + inStep.completion_tokens,
    },
  };
}
