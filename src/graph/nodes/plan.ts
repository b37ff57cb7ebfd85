import { validatePlan } from "../../plan/validate.js";
import type { TaskState } from "../../model/task-state.js";
import type { WorkflowStateUpdate, WorkflowStateValue } from "../workflow-state.js";
import type { GraphDeps } from "../graph-deps.js";
import type { PlanOrigin } from "../../model/planner.js";

/** `plan`: turn the goal into a validated plan (unless one was given) and lay out the tasks. */
export function planNode(deps: GraphDeps) {
  return async (state: WorkflowStateValue): Promise<WorkflowStateUpdate> => {
    // A resumed run already has its tasks: planning again could change the plan under it.
    if (Object.keys(state.tasks).length > 0) return {};
    const { context } = state;
    const rt = deps.runtime(context.workflow_id);
    const variables = (state.memory.variables ?? {}) as Record<string, unknown>;
    let plan = state.workflow_plan;
    // The engine plans goals before the graph starts (so bad input writes nothing) and says who planned.
    let planner: PlanOrigin = context.planner ?? "provided";
    const usage: Partial<typeof context> = {};
    if (plan === null) {
      const produced = await deps.planGoal(context.goal ?? "", variables, rt.signal);
      plan = validatePlan(produced.plan, { variables: Object.keys(variables) });
      planner = produced.planner;
      if (produced.usage) {
        usage.llm_calls = (context.llm_calls ?? 0) + produced.usage.calls;
        usage.llm_prompt_tokens = (context.llm_prompt_tokens ?? 0) + produced.usage.prompt_tokens;
        usage.llm_completion_tokens = (context.llm_completion_tokens ?? 0) + produced.usage.completion_tokens;
      }
    }
    const tasks: Record<string, TaskState> = {};
    for (const spec of plan.tasks) tasks[spec.id] = { ...spec, status: "pending", attempts: 0 };
    rt.emitAfterCommit({ type: "plan_ready", detail: `${plan.tasks.length} tasks (planner: ${planner})` });
    return {
      workflow_plan: plan,
      tasks,
      context: { status: "running", planner, ...usage },
      history: [{ at: new Date(deps.now()).toISOString(), event: "planned", detail: `${plan.tasks.length} tasks by ${planner}` }],
    };
  };
}
