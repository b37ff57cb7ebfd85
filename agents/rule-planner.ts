import { GoalNotUnderstoodError } from "../src/model/errors.js";
import type { Planner, PlanRequest, PlanResult } from "../src/model/planner.js";
import { buildTasks } from "./rules/build-plan.js";
import { planForLibraryGoal } from "./rules/library-goal.js";
import { maskLiterals } from "./rules/mask.js";
import { readClauses } from "./rules/parse-clause.js";
import { splitClauses } from "./rules/split.js";
import { maskSql } from "./rules/sql-span.js";

/**
 * The offline planner: reads a goal with rules, no LLM. It plans only what it understands in full:
 * every clause becomes a task or part of one (each task quotes the clauses it accounts for), and every
 * word of a data phrase either names the data or asks for an operation (rules/data-phrase.ts). Any
 * clause it cannot place, or data it cannot trace ("save" with nothing before it), is refused with
 * GoalNotUnderstoodError naming it and listing what it understood. It never guesses.
 */
export class RulePlanner implements Planner {
  readonly kind = "rules" as const;

  /** Plan a goal; throws GoalNotUnderstoodError when any part of it is not understood. */
  async plan(request: PlanRequest): Promise<PlanResult> {
    // A goal that names a library workflow runs it: a tested path instead of a fresh plan.
    const reuse = planForLibraryGoal(request.goal, request.library ?? []);
    return { plan: reuse ?? planGoal(request.goal), planner: "rules" };
  }
}

/** The plan for a goal (synchronous core of RulePlanner). */
function planGoal(goal: string): PlanResult["plan"] {
  if (goal.trim() === "") throw new GoalNotUnderstoodError(goal, [], ["(the goal is empty)"]);
  const masked = maskSql(maskLiterals(goal.trim()));
  const read = readClauses(splitClauses(masked.text), masked);
  const built = buildTasks(read.steps);
  const notUnderstood = [...read.notUnderstood, ...built.notUnderstood];
  if (notUnderstood.length > 0 || built.tasks.length === 0) {
    throw new GoalNotUnderstoodError(goal, built.understood, notUnderstood.length ? notUnderstood : [goal.trim()]);
  }
  return { goal, tasks: built.tasks };
}
