import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { PlanOrigin } from "../../model/planner.js";
import { initialTasks } from "../../scheduler/transitions.js";
import { type GraphDeps, loopKey } from "../graph-deps.js";
import type { WorkflowStateUpdate, WorkflowStateValue } from "../workflow-state.js";

/**
 * `plan`: lay out the tasks of the plan given with the input, or of the goal's plan, both through the one
 * plan entry (a plan the engine already entered is not checked again).
 */
export function planNode(deps: GraphDeps) {
  return async (state: WorkflowStateValue, config?: LangGraphRunnableConfig): Promise<WorkflowStateUpdate> => {
    // A resumed run already has its tasks: planning again could change the plan under it.
    if (Object.keys(state.tasks).length > 0) return {};
    const { context } = state;
    const loop = deps.loop(loopKey(state, config));
    const variables = (state.memory.variables ?? {}) as Record<string, unknown>;
    const entered = await deps.enterPlan(state.workflow_plan ?? context.goal ?? "", variables, loop.signal);
    // The engine plans goals before the graph starts (so bad input writes nothing) and says who planned.
    const planner: PlanOrigin = state.workflow_plan ? (context.planner ?? entered.planner) : entered.planner;
    const { plan, usage } = entered;
    const safety = deps.runSafety?.(entered, state.workflow_plan ? undefined : context.goal, variables);
    loop.events.emitAfterCommit({ type: "plan_ready", detail: `${plan.tasks.length} tasks (planner: ${planner})` });
    // The tasks carry the plan from here on; the input's copy (an ephemeral channel) is not written again.
    return {
      tasks: initialTasks(plan),
      ...(safety ? { safety } : {}),
      context: {
        status: "running",
        planner,
        // The plan's failure policy, unless the run was started with one (--rollback).
        ...(plan.on_failure && !context.on_failure ? { on_failure: plan.on_failure } : {}),
        ...(usage
          ? {
              llm_calls: (context.llm_calls ?? 0) + usage.calls,
              llm_prompt_tokens: (context.llm_prompt_tokens ?? 0) + usage.prompt_tokens,
              llm_completion_tokens: (context.llm_completion_tokens ?? 0) + usage.completion_tokens,
            }
          : {}),
      },
      history: [{ at: new Date(deps.now()).toISOString(), event: "planned", detail: `${plan.tasks.length} tasks by ${planner}` }],
    };
  };
}
