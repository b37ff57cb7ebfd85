import type { LibraryCard, LlmBudget, LlmUsage, PlanOrigin, Planner, PlannerKind } from "../model/planner.js";
import type { Plan, PlanInput } from "../model/plan-schema.js";
import { validatePlan } from "./validate.js";

/** A validated plan and where it came from. */
export interface PlannedInput {
  plan: Plan;
  planner: PlanOrigin;
  usage?: LlmUsage;
  /** "hit" when the plan came from the plan cache, "miss" when it was planned and cached. */
  cache?: "hit" | "miss";
}

/** What decides which plan a goal gets: the same input must give the same cached plan. */
export interface PlanCacheKey {
  goal: string;
  planner: PlannerKind;
  model?: string;
  baseURL?: string;
  /** Names of the workflow variables (their values do not change the plan, only its inputs). */
  variableNames: string[];
  /** The library workflows the planner saw (`name@version`, sorted): a new version plans the goal again. */
  library?: string[];
}

/** A stored plan; `plan` is validated again when it is read, like any plan from outside. */
export interface CachedPlan {
  plan: unknown;
  planner: PlannerKind;
  cached_at: string;
}

/** Where planned goals are kept (the Redis plan cache implements it); it never fails a run. */
export interface PlanStore {
  get(key: PlanCacheKey): Promise<CachedPlan | undefined>;
  set(key: PlanCacheKey, plan: CachedPlan): Promise<void>;
}

export interface PlanSources {
  planner(): Promise<Planner>;
  cache?: PlanStore;
  env: Record<string, string | undefined>;
  /** True when a value carries a secret: such a plan is never cached (the cache is not scrubbed). */
  holdsSecrets?: (value: unknown) => boolean;
  /** The LLM allowance of the run being planned. */
  budget?: LlmBudget;
  /** The workflow library as planners see it. */
  library?: () => Promise<readonly LibraryCard[]>;
}

/** Plans this entry validated, with the variable names they were validated against. */
const entered = new WeakMap<object, readonly string[]>();

/**
 * True when `plan` came out of `enterPlan` with variable names that `variableNames` includes (more known
 * names cannot make a valid plan invalid), so there is nothing to check again.
 */
function isEntered(plan: unknown, variableNames: readonly string[]): plan is Plan {
  const known = typeof plan === "object" && plan !== null ? entered.get(plan) : undefined;
  return known?.every((name) => variableNames.includes(name)) ?? false;
}

/**
 * The one way into a run: plan a goal (through the plan cache when there is one) or take a given plan,
 * then validate and normalise it, once. Everything downstream takes the plan this returns. A plan that
 * already came out of this function for the same variable names is not validated again.
 */
export async function enterPlan(
  src: PlanSources,
  goalOrPlan: string | PlanInput | Plan,
  variables: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<PlannedInput> {
  const names = Object.keys(variables);
  if (typeof goalOrPlan !== "string" && isEntered(goalOrPlan, names)) return { plan: goalOrPlan, planner: "provided" };
  for (const source of planSources(src, goalOrPlan, variables, signal)) {
    const found = await source;
    if (!found) continue;
    let plan: Plan;
    try {
      plan = validatePlan(found.plan, { variables: names });
    } catch (error) {
      // A cached plan that no longer validates (the schema moved on) is planned again.
      if (found.cache === "hit") continue;
      throw error;
    }
    entered.set(plan, names);
    if (found.store) await found.store(plan);
    const { store: _store, plan: _raw, ...rest } = found;
    return { ...rest, plan };
  }
  throw new Error("unreachable: the planner is the last source and never yields nothing");
}

interface Found extends Omit<PlannedInput, "plan"> {
  plan: unknown;
  /** Keep the validated plan in the cache. */
  store?: (plan: Plan) => Promise<void>;
}

/** Where a plan may come from, in order: the input itself, the cache, the planner. */
function* planSources(
  src: PlanSources,
  goalOrPlan: string | PlanInput,
  variables: Record<string, unknown>,
  signal?: AbortSignal,
): Generator<Promise<Found | undefined>> {
  if (typeof goalOrPlan !== "string") {
    yield Promise.resolve({ plan: goalOrPlan, planner: "provided" });
    return;
  }
  const goal = goalOrPlan;
  const key = Promise.all([src.planner(), src.library?.() ?? []]).then(([planner, library]) => ({
    planner,
    library,
    key: {
      goal,
      planner: planner.kind,
      variableNames: Object.keys(variables),
      ...(library.length ? { library: library.map((c) => `${c.name}@${c.version}`).sort() } : {}),
      ...(planner.kind === "llm" ? { model: src.env.OPENAI_MODEL ?? "", baseURL: src.env.OPENAI_BASE_URL ?? "" } : {}),
    } satisfies PlanCacheKey,
  }));
  if (src.cache) {
    const cache = src.cache;
    yield key.then(async ({ key }) => {
      const hit = await cache.get(key);
      return hit ? { plan: hit.plan, planner: hit.planner, cache: "hit" as const } : undefined;
    });
  }
  yield key.then(async ({ planner, key, library }) => {
    const produced = await planner.plan({
      goal,
      variables,
      ...(signal ? { signal } : {}),
      ...(src.budget ? { budget: src.budget } : {}),
      ...(library.length ? { library } : {}),
    });
    const cache = src.cache;
    const found: Found = { plan: produced.plan, planner: produced.planner, ...(produced.usage ? { usage: produced.usage } : {}) };
    if (!cache) return found;
    found.cache = "miss";
    found.store = async (plan) => {
      if (src.holdsSecrets?.([goal, variables, plan])) return;
      await cache.set(key, { plan, planner: produced.planner, cached_at: new Date().toISOString() });
    };
    return found;
  });
}
