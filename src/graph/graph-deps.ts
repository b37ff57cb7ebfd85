import type { PlanInput } from "../model/plan-schema.js";
import type { PlannedInput } from "../plan/plan-entry.js";
import type { AdviseFn } from "../scheduler/handle-failures.js";
import type { RunLoop } from "../scheduler/run-loop.js";

/** What the graph's nodes need from the engine; nodes hold no other state. */
export interface GraphDeps {
  /** The run loop of a run (created on first use, e.g. after a resume). */
  loop(runId: string): RunLoop;
  /** The one plan entry (src/plan/plan-entry.ts): plans a goal, or checks a given plan, and validates it. */
  enterPlan(goalOrPlan: string | PlanInput, variables: Record<string, unknown>, signal: AbortSignal): Promise<PlannedInput>;
  /** Ask the failure advisor, when one is configured; undefined otherwise or on any advisor error. */
  advise: AdviseFn;
  /**
   * Start unblocked dependents in the step that records their dependency's completion, before its
   * checkpoint is written. Only when nothing is persisted (memory): durable runs record first.
   */
  startEagerly: boolean;
  now(): number;
  random(): number;
}
