import { ErrorCode, type PlanIssue, PlanValidationError } from "../model/errors.js";
import { inputIssues } from "../model/zod-issues.js";
import { ActionConfigSchemas, type Plan, PlanSchema, type TaskSpec } from "../model/plan-schema.js";
import { ENV_ROOT, envReferenceIssue } from "./env-reference.js";
import { findCycle } from "./find-cycle.js";
import { inputGuardIssues } from "./input-guard.js";
import { findReferences, type Reference } from "./template.js";
import { conditionRoots } from "./condition.js";
import { LOOP_ROOTS } from "./loop-binding.js";
import { PURE_REFERENCE } from "../model/template-schema.js";
import { rollbackFieldIssues } from "./check-rollback-fields.js";

export { findCycle };

export interface ValidateOptions {
  /** Names of the workflow variables known at validation time (from the plan and `--var`). */
  variables?: Iterable<string>;
}

const RESERVED_ENV = (what: string) =>
  `"${ENV_ROOT}" is reserved (\`{{env.NAME}}\` reads the environment variable NAME) and cannot be a ${what}; rename it`;

/**
 * Validate a plan from any source and normalise it: defaults applied, dependencies implied by
 * references added. Throws PlanValidationError naming every problem found.
 */
export function validatePlan(input: unknown, options: ValidateOptions = {}): Plan {
  const guarded = inputGuardIssues(input);
  if (guarded.length) throw new PlanValidationError(guarded);
  const parsed = PlanSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) throw new PlanValidationError(inputIssues(parsed.error, ""));
  const plan = parsed.data;
  const issues: PlanIssue[] = [];
  const ids = new Set<string>();
  for (const [i, t] of plan.tasks.entries()) {
    if (ids.has(t.id)) issues.push({ path: `tasks[${i}].id`, message: `duplicate task id "${t.id}"` });
    if (t.id === ENV_ROOT) issues.push({ path: `tasks[${i}].id`, message: RESERVED_ENV("task id") });
    if ((LOOP_ROOTS as readonly string[]).includes(t.id)) {
      issues.push({
        path: `tasks[${i}].id`,
        message: `"${t.id}" is reserved ({{${t.id}}} reads a for_each item) and cannot be a task id; rename it`,
      });
    }
    ids.add(t.id);
  }
  const variables = new Set([...Object.keys(plan.variables ?? {}), ...(options.variables ?? [])]);
  if (variables.has(ENV_ROOT)) issues.push({ path: "variables", message: RESERVED_ENV("variable name") });
  const tasks = plan.tasks.map((t, i) => normaliseTask(t, i, ids, variables, issues));
  for (const [name, ref] of Object.entries(plan.outputs ?? {})) outputIssues(name, ref, ids, issues);
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
  const config = ActionConfigSchemas[task.action_type].safeParse(task.action_config, { reportInput: true });
  if (!config.success) {
    for (const issue of inputIssues(config.error, `${at}.action_config`)) {
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
  const loopRefs = loopIssues(task, at, issues);
  for (const root of conditionIssues(task, at, issues)) {
    if (ids.has(root) && root !== task.id && !dependencies.includes(root)) dependencies.push(root);
  }
  for (const ref of [...refs, ...loopRefs]) {
    if (task.for_each !== undefined && (LOOP_ROOTS as readonly string[]).includes(ref.root) && !loopRefs.includes(ref)) continue;
    if (ref.root === ENV_ROOT) {
      const issue = envReferenceIssue(ref);
      if (issue) issues.push({ path: `${at}.action_config`, message: issue });
    } else if (ids.has(ref.root)) {
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
  issues.push(...rollbackFieldIssues(task, at, dependencies, variables));
  return { ...task, dependencies };
}

/** `for_each`: a literal list or one `{{reference}}` (returned, to be checked like the config's); `concurrency` needs it. */
function loopIssues(task: TaskSpec, at: string, issues: PlanIssue[]): Reference[] {
  if (task.for_each === undefined) {
    if (task.concurrency !== undefined) {
      issues.push({ path: `${at}.concurrency`, message: `concurrency ${task.concurrency} is given but task "${task.id}" has no for_each` });
    }
    return [];
  }
  if (typeof task.for_each !== "string") return [];
  if (!PURE_REFERENCE.test(task.for_each)) {
    issues.push({
      path: `${at}.for_each`,
      message: `"${task.for_each}" is not a list: for_each takes a list or one {{reference}} to a list (e.g. "{{fetch.data}}", "{{inputs.ids}}")`,
    });
    return [];
  }
  const { refs, malformed } = findReferences(task.for_each);
  if (malformed.length) issues.push({ path: `${at}.for_each`, message: `malformed reference ${malformed.join(", ")}` });
  for (const ref of refs) {
    if ((LOOP_ROOTS as readonly string[]).includes(ref.root)) {
      issues.push({
        path: `${at}.for_each`,
        message: `for_each cannot read {{${ref.raw}}}: the item is bound only inside the loop's action_config`,
      });
    }
  }
  return refs.filter((r) => !(LOOP_ROOTS as readonly string[]).includes(r.root));
}

/** The roots a `when` reads; a syntax error is an issue naming the expression. */
function conditionIssues(task: TaskSpec, at: string, issues: PlanIssue[]): string[] {
  if (task.when === undefined) return [];
  const { roots, error } = conditionRoots(task.when);
  if (error) issues.push({ path: `${at}.when`, message: `"${task.when}" is not a JSONata expression: ${error}` });
  return roots;
}

/** An output is a reference whose root is a task of the plan. */
function outputIssues(name: string, ref: string, ids: ReadonlySet<string>, issues: PlanIssue[]): void {
  const { refs, malformed } = findReferences(ref);
  if (refs.length === 0 || malformed.length) {
    issues.push({ path: `outputs.${name}`, message: `"${ref}" is not a {{task_id.path}} reference` });
    return;
  }
  for (const r of refs) {
    if (!ids.has(r.root)) {
      issues.push({
        path: `outputs.${name}`,
        message: `{{${r.raw}}} refers to "${r.root}", which is not a task of this workflow (the tasks: ${[...ids].join(", ")})`,
      });
    }
  }
}
