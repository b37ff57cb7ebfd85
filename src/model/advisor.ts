import type { SerializedError } from "./errors.js";
import type { TaskSpec } from "./plan-schema.js";
import type { LlmBudget, LlmUsage } from "./planner.js";

/** What a failure advisor may recommend for a task that has finally failed. */
export const AdviceDecision = ["retry", "skip", "modify", "fail"] as const;
export type AdviceDecision = (typeof AdviceDecision)[number];

export interface AdviceInput {
  task: TaskSpec;
  error: SerializedError;
  /** How many times the task has run so far. */
  attempts: number;
  /** The run's LLM allowance and what it has spent. */
  budget?: LlmBudget;
}

export interface Advice {
  decision: AdviceDecision;
  /** Only with "modify": merged into the task's action_config (top-level keys replace). */
  patch?: Record<string, unknown>;
  reason: string;
  usage: LlmUsage;
}

/**
 * The failure-advisor port: asked only when the failure policy's rules leave the choice open, and bounded
 * by the same limits. Never throws for a bad or missing reply; throws CancelledError when aborted.
 */
export interface FailureAdvisor {
  advise(input: AdviceInput, signal?: AbortSignal): Promise<Advice>;
}
