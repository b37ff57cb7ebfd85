import type { LlmBudget } from "../../agents/llm-budget.js";
import type { LlmUsage, Planner } from "../model/planner.js";
import type { PlanCache } from "../persistence/plan-cache.js";
import type { Plan, PlanInput } from "../model/plan-schema.js";
import { validatePlan } from "./validate.js";

/** A validated plan and where it came from. */
export interface PlannedInput {
  plan: Plan;
  planner: "llm" | "rules" | "provided";
  usage?: LlmUsage;
  /** "hit" when the plan came from the Redis plan cache, "miss" when it was planned and cached. */
  cache?: "hit" | "miss";
}

export interface PlanSources {
  planner(): Promise<Planner>;
  cache?: PlanCache;
  env: Record<string, string | undefined>;
  /** True when a value carries a secret: such a plan is never cached (the cache is not scrubbed). */
  holdsSecrets?: (value: unknown) => boolean;
  /** The LLM allowance of the run being planned. */
  budget?: LlmBudget;
}

/** Validate a given plan, or plan a goal (through the plan cache when there is one). */
export async function planInput(
  src: PlanSources,
  goalOrPlan: string | PlanInput,
  variables: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<PlannedInput> {
  const names = Object.keys(variables);
  if (typeof goalOrPlan !== "string") return { plan: validatePlan(goalOrPlan, { variables: names }), planner: "provided" };
  const planner = await src.planner();
  const key = {
    goal: goalOrPlan,
    planner: planner.kind,
    variableNames: names,
    ...(planner.kind === "llm" ? { model: src.env.OPENAI_MODEL ?? "", baseURL: src.env.OPENAI_BASE_URL ?? "" } : {}),
  };
  const cached = src.cache ? await src.cache.get(key) : undefined;
  if (cached) {
    try {
      return { plan: validatePlan(cached.plan, { variables: names }), planner: cached.planner, cache: "hit" };
    } catch {
      // A cached plan that no longer validates (the schema moved on) is planned again.
    }
  }
  const produced = await planner.plan({ goal: goalOrPlan, variables, ...(signal ? { signal } : {}), ...(src.budget ? { budget: src.budget } : {}) });
  const plan = validatePlan(produced.plan, { variables: names });
  const cacheable = src.cache && !src.holdsSecrets?.([goalOrPlan, variables, plan]);
  if (cacheable && src.cache) await src.cache.set(key, { plan, planner: produced.planner, cached_at: new Date().toISOString() });
  return { plan, planner: produced.planner, ...(produced.usage ? { usage: produced.usage } : {}), ...(src.cache ? { cache: "miss" as const } : {}) };
}
