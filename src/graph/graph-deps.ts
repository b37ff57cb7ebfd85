import type { FailureDecision, Advice } from "../failure-policy/decide.js";
import type { ActionContext } from "../actions/types.js";
import type { LlmBudget } from "../model/planner.js";
import type { LlmUsage, PlanResult } from "../model/planner.js";
import type { SerializedError } from "../model/errors.js";
import type { ActionType } from "../model/plan-schema.js";
import type { RunRuntime } from "../scheduler/run-loop.js";
import type { RunSafety } from "../model/safety-policy.js";
import type { TaskState } from "../model/task-state.js";

export type { FailureDecision };

/** What the graph's nodes need from the engine; nodes hold no other state. */
export interface GraphDeps {
  /** The live runtime of a run (created on first use, e.g. after a resume). */
  runtime(runId: string): RunRuntime;
  /** Plan a goal with the configured planner. */
  planGoal(goal: string, variables: Record<string, unknown>, signal: AbortSignal): Promise<PlanResult>;
  /** Ask the failure advisor, when one is configured; undefined otherwise or on any advisor error. */
  advise(task: TaskState, error: SerializedError, signal: AbortSignal, budget?: LlmBudget): Promise<(Advice & { usage?: LlmUsage }) | undefined>;
  /** Run one action with a validated config. */
  runAction(type: ActionType, config: unknown, ctx: ActionContext): Promise<unknown>;
  /** Build the context an action runs with. */
  actionContext(runId: string, task: TaskState, signal: AbortSignal, safety: RunSafety): ActionContext;
  /**
   * Start unblocked dependents in the step that records their dependency's completion, before its
   * checkpoint is written. Only when nothing is persisted (memory): durable runs record first.
   */
  startEagerly: boolean;
  /** The process environment `{{env.NAME}}` references read (narrowed per run by `envScope`). */
  env?: Readonly<Record<string, string | undefined>>;
  now(): number;
  random(): number;
}
