import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { RunSafety } from "../model/safety-policy.js";
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
  /**
   * The run's safety policy, when the graph itself starts runs (the Agent Server graph): fixed from the
   * server's settings when the plan is laid out, whatever the input's context says. The engine sets it
   * before the graph starts instead.
   */
  runSafety?(planned: PlannedInput, goal: string | undefined, variables: Record<string, unknown>): RunSafety;
  /** Forget a run's loop once it has ended (the engine does this itself after each drive). */
  release?(key: string): void;
}

/** The loop of the run a node works on: by LangGraph thread (two threads never share one), else by run id. */
export function loopKey(state: { context: { workflow_id: string } }, config?: LangGraphRunnableConfig): string {
  const thread = config?.configurable?.thread_id;
  return typeof thread === "string" && thread !== "" ? thread : state.context.workflow_id;
}
