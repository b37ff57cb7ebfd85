import type { PlanInput } from "./plan-schema.js";

/** The planners there are: the LLM one and the offline rule planner. */
export const PlannerKind = ["llm", "rules"] as const;
export type PlannerKind = (typeof PlannerKind)[number];

/** Where a run's plan came from: one of the planners, or given as a plan ("provided"). */
export const PlanOrigin = [...PlannerKind, "provided"] as const;
export type PlanOrigin = (typeof PlanOrigin)[number];

/** The planner a user asks for: a kind, or "auto" (the LLM when one is configured, else the rules). */
export const PlannerSetting = ["auto", ...PlannerKind] as const;
export type PlannerSetting = (typeof PlannerSetting)[number];

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
  planner: PlannerKind;
  usage?: LlmUsage;
}

/** What a planner sees of a library workflow: enough to call it (`action_type: "workflow"`), nothing more. */
export interface LibraryCard {
  name: string;
  version: string;
  description: string;
  inputs: Record<string, { type: string; description?: string; required: boolean }>;
}

export interface PlanRequest {
  goal: string;
  /** Names and values of the workflow variables (`--var`), which a plan may reference as {{name}}. */
  variables: Record<string, unknown>;
  signal?: AbortSignal;
  /** The run's LLM allowance (limits.maxLlmCalls / maxLlmTokens). */
  budget?: LlmBudget;
  /** The workflow library: a goal one of them answers becomes a one-task plan calling it. */
  library?: readonly LibraryCard[];
}

/** Turns a goal in plain words into a plan. Throws GoalNotUnderstoodError when it cannot. */
export interface Planner {
  readonly kind: PlannerKind;
  plan(request: PlanRequest): Promise<PlanResult>;
}
