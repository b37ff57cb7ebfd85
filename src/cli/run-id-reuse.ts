import type { WorkflowEngine } from "../engine/workflow-engine.js";
import { ErrorCode, WorkflowError } from "../model/errors.js";
import type { Plan, PlanInput } from "../model/plan-schema.js";

/**
 * `--run-id ID` of a run that already finished: the same goal or plan shows the stored run; anything else is
 * refused (RUN_EXISTS, exit 2), naming the id and what it ran, since running it would silently do nothing.
 */
export async function checkSameInput(
  engine: WorkflowEngine,
  runId: string,
  input: string | PlanInput,
  variables: Record<string, unknown>,
): Promise<void> {
  const { record, result } = await engine.getRun(runId);
  const stored = { goal: record.goal, tasks: result.tasks };
  let same: boolean;
  if (typeof input === "string") same = stored.goal === input;
  else {
    const plan = await engine.plan(input, variables);
    same = stored.goal === (plan.goal ?? stored.goal) && shape(plan.tasks) === shape(stored.tasks);
  }
  if (same) return;
  const ran = stored.goal
    ? `the goal "${stored.goal}"`
    : `a plan of ${stored.tasks.length} tasks (${stored.tasks.map((t) => t.id).join(", ")})`;
  throw new WorkflowError(
    ErrorCode.RunExists,
    `Run id "${runId}" is taken: it already ran ${ran}, not this ${typeof input === "string" ? "goal" : "plan"}. ` +
      "Pick a new id with --run-id, or leave it out to get a fresh one; `node main.js runs show " +
      `${runId}\` shows the stored run.`,
    { details: { run_id: runId } },
  );
}

/** What makes two plans the same run: their tasks' ids, actions and dependencies. */
function shape(tasks: readonly Pick<Plan["tasks"][number], "id" | "action_type" | "dependencies">[]): string {
  return JSON.stringify(tasks.map((t) => [t.id, t.action_type, [...t.dependencies].sort()]).sort());
}
