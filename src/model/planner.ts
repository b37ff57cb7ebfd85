import type { PlanInput } from "./plan-schema.js";

/** LLM usage, counted per run and reported in metrics. */
export interface LlmUsage {
  calls: number;
  prompt_tokens: number;
  completion_tokens: number;
}

/** A run's LLM allowance (limits.maxLlmCalls / maxLlmTokens) and what the run had spent before this call site. */
export interface LlmBudget {
  maxCalls: number;
  maxTokens: number;
  spent?: LlmUsage;
}

export interface PlanResult {
  /** The plan as produced; the engine validates it (validatePlan) before anything runs. */
  plan: PlanInput;
  planner: "llm" | "rules";
  usage?: LlmUsage;
}

export interface PlanRequest {
  goal: string;
  /** Names and values of the workflow variables (`--var`), which a plan may reference as {{name}}. */
  variables: Record<string, unknown>;
  signal?: AbortSignal;
  /** The run's LLM allowance (limits.maxLlmCalls / maxLlmTokens). */
  budget?: LlmBudget;
}

/** Turns a goal in plain words into a plan. Throws GoalNotUnderstoodError when it cannot. */
export interface Planner {
  readonly kind: "llm" | "rules";
  plan(request: PlanRequest): Promise<PlanResult>;
}
