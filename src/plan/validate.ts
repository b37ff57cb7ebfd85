import type { z } from "zod";
import { ErrorCode, type PlanIssue, PlanValidationError } from "../errors.js";
import { ActionConfigSchemas, type Plan, PlanSchema, type TaskSpec } from "./schema.js";
import { findReferences } from "./template.js";

export interface ValidateOptions {
  /** Names of the workflow variables known at validation time (from the plan and `--var`). */
  variables?: Iterable<string>;
}

function zodIssues(error: z.ZodError, prefix: string): PlanIssue[] {
  return error.issues.map((i) => {
    const path = [prefix, ...i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))].join("");
    return { path: path.replace(/^\./, ""), message: i.message };
  });
}

/** Find one cycle in the dependency graph, returned as ids with the first repeated at the end. */
export function findCycle(tasks: readonly Pick<TaskSpec, "id" | "dependencies">[]): string[] | undefined {
  const deps = new Map(tasks.map((t) => [t.id, t.dependencies]));
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    state.set(id, "visiting");
    stack.push(id);
    for (const dep of deps.get(id) ?? []) {
      if (!deps.has(dep)) continue;
      const s = state.get(dep);
      if (s === "visiting") return [...stack.slice(stack.indexOf(dep)), dep];
      if (s === undefined) {
        const found = visit(dep);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(id, "done");
    return undefined;
  };
  for (const t of tasks) {
    if (state.get(t.id) === undefined) {
      const found = visit(t.id);
      if (found) return found.reverse();
    }
  }
  return undefined;
}

/**
 * Validate a plan from any source and normalise it: defaults applied, dependencies implied by
 * references added. Throws PlanValidationError naming every problem found.
 */
export function validatePlan(input: unknown, options: ValidateOptions = {}): Plan {
  const parsed = PlanSchema.safeParse(input);
  if (!parsed.success) throw new PlanValidationError(zodIssues(parsed.error, ""));
  const plan = parsed.data;
  const issues: PlanIssue[] = [];
  const ids = new Set<string>();
  for (const [i, t] of plan.tasks.entries()) {
    if (ids.has(t.id)) issues.push({ path: `tasks[${i}].id`, message: `duplicate task id "${t.id}"` });
    ids.add(t.id);
  }
  const variables = new Set([...Object.keys(plan.variables ?? {}), ...(options.variables ?? [])]);
  const tasks = plan.tasks.map((t, i) => normaliseTask(t, i, ids, variables, issues));
  if (issues.length) throw new PlanValidationError(issues);
  const cycle = findCycle(tasks);
  if (cycle) {
    throw new PlanValidationError(
      [{ path: "tasks", message: `dependency cycle: ${cycle.join(" -> ")} (a task cannot wait for itself)` }],
      ErrorCode.PlanCycle,
    );
  }
  return { ...plan, tasks };
}

function normaliseTask(
  task: TaskSpec,
  index: number,
  ids: ReadonlySet<string>,
  variables: ReadonlySet<string>,
  issues: PlanIssue[],
): TaskSpec {
  const at = `tasks[${index}]`;
  const config = ActionConfigSchemas[task.action_type].safeParse(task.action_config);
  if (!config.success) {
    for (const issue of zodIssues(config.error, `${at}.action_config`)) {
      issues.push({ ...issue, message: `${issue.message} (${task.action_type} "${task.id}")` });
    }
  }
  const dependencies = [...new Set(task.dependencies)];
  for (const dep of dependencies) {
    if (dep === task.id) issues.push({ path: `${at}.dependencies`, message: `task "${task.id}" depends on itself` });
    else if (!ids.has(dep)) {
      issues.push({ path: `${at}.dependencies`, message: `task "${task.id}" depends on unknown task "${dep}"` });
    }
  }
  const { refs, malformed } = findReferences(task.action_config);
  for (const m of malformed) {
    issues.push({ path: `${at}.action_config`, message: `malformed reference ${m}: use {{task_id.path}} or {{variable}}` });
  }
  for (const ref of refs) {
    if (ids.has(ref.root)) {
      if (ref.root === task.id) {
        issues.push({ path: `${at}.action_config`, message: `task "${task.id}" references its own result {{${ref.raw}}}` });
      } else if (!dependencies.includes(ref.root)) dependencies.push(ref.root);
    } else if (!variables.has(ref.root)) {
      issues.push({
        path: `${at}.action_config`,
        message: `{{${ref.raw}}} refers to unknown task or variable "${ref.root}"`,
      });
    }
  }
  return { ...task, dependencies };
}
