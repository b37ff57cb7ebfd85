import { ErrorCode, WorkflowError } from "../src/model/errors.js";
import type { LlmBudget, LlmUsage } from "../src/model/planner.js";

/** Refuse the next LLM call when the run has used its calls or tokens: LLM_BUDGET_EXCEEDED, before anything is sent. */
export function checkBudget(budget: LlmBudget | undefined, usage: LlmUsage): void {
  if (!budget) return;
  const calls = usage.calls + (budget.spent?.calls ?? 0);
  const tokens =
    usage.prompt_tokens + usage.completion_tokens + (budget.spent?.prompt_tokens ?? 0) + (budget.spent?.completion_tokens ?? 0);
  const over =
    calls >= budget.maxCalls
      ? `${calls} of ${budget.maxCalls} calls`
      : tokens >= budget.maxTokens
        ? `${tokens} of ${budget.maxTokens} tokens`
        : undefined;
  if (over === undefined) return;
  throw new WorkflowError(
    ErrorCode.LlmBudget,
    `The run has used its LLM budget (${over}); no further LLM call is made. ` +
      "Raise it (limits.maxLlmCalls, limits.maxLlmTokens), or simplify the goal.",
    { retryable: false, details: { calls, tokens, max_calls: budget.maxCalls, max_tokens: budget.maxTokens } },
  );
}
