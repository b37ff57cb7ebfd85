import { ErrorCode, type PlanIssue, WorkflowValidationError } from "../model/errors.js";
import type { Plan, TaskSpec } from "../model/plan-schema.js";
import { WorkflowCallConfig } from "../model/action-config/workflow.js";
import { type WorkflowDefinition, workflowRef } from "../model/workflow-schema.js";
import { conditionRoots } from "./condition.js";
import { findReferences, type Reference } from "./template.js";
import { validatePlan } from "./validate.js";
import { resolveInputs, sampleInputs } from "./workflow-inputs.js";

/** Finds a library workflow: the newest version when none is given; undefined when there is none. */
export type WorkflowLookup = (name: string, version?: string) => WorkflowDefinition | undefined;

/** The root `{{inputs.x}}` reads a workflow's inputs by. */
const INPUTS_ROOT = "inputs";
/** Sub-workflows nest at most this deep (a workflow calling one that calls one... counts each level). */
const MAX_WORKFLOW_DEPTH = 8;

/**
 * Everything wrong with a workflow that can be seen without running it: references to undeclared inputs, a
 * `for_each` over an input that is not a list, sub-workflows that do not exist, take other inputs or lack an
 * output read from them, a cycle of sub-workflows (A -> B -> A) or nesting past MAX_WORKFLOW_DEPTH, and what
 * the plan validator finds (ids, dependencies, references, conditions, outputs).
 */
export function checkWorkflow(def: WorkflowDefinition, lookup: WorkflowLookup): PlanIssue[] {
  const issues: PlanIssue[] = [];
  try {
    validatePlan(planOf(def, sampleInputs(def), lookup, []), { variables: [INPUTS_ROOT] });
  } catch (err) {
    if (err instanceof WorkflowValidationError || (err as { issues?: PlanIssue[] }).issues)
      issues.push(...(err as { issues: PlanIssue[] }).issues);
    else throw err;
  }
  return [...inputReferenceIssues(def), ...subWorkflowIssues(def, lookup), ...issues];
}

/**
 * The plan a run of `def` with `given` inputs executes: inputs checked and defaulted (under `variables.inputs`),
 * sub-workflow versions pinned (so a resume runs the versions its run started with), validated once.
 * Throws WorkflowValidationError (INPUT_INVALID for the inputs, WORKFLOW_INVALID for the file) before anything runs.
 */
export function compileWorkflow(def: WorkflowDefinition, given: Record<string, unknown>, lookup: WorkflowLookup): Plan {
  const ref = workflowRef(def);
  const inputIssues: PlanIssue[] = [];
  const inputs = resolveInputs(def, given, inputIssues);
  if (inputIssues.length) throw new WorkflowValidationError(`The inputs of ${ref}`, inputIssues, ErrorCode.InputInvalid);
  const issues = checkWorkflow(def, lookup);
  if (issues.length) throw new WorkflowValidationError(`The workflow ${ref}`, issues);
  const loopIssues = inputLoopIssues(def, inputs);
  if (loopIssues.length) throw new WorkflowValidationError(`The inputs of ${ref}`, loopIssues, ErrorCode.InputInvalid);
  return validatePlan(planOf(def, inputs, lookup, []), { variables: [INPUTS_ROOT] });
}

function planOf(def: WorkflowDefinition, inputs: Record<string, unknown>, lookup: WorkflowLookup, issues: PlanIssue[]): Plan {
  return {
    goal: `${workflowRef(def)}: ${def.description}`,
    variables: { [INPUTS_ROOT]: inputs },
    tasks: def.tasks.map((t) => pinVersion(t, lookup, issues)),
    workflow: workflowRef(def),
    ...(Object.keys(def.outputs).length ? { outputs: def.outputs } : {}),
    ...(def.allow_writes === undefined ? {} : { allow_writes: def.allow_writes }),
  };
}

/** A `workflow` task with the version it will run written in: the newest when it names none. */
function pinVersion(task: TaskSpec, lookup: WorkflowLookup, _issues: PlanIssue[]): TaskSpec {
  if (task.action_type !== "workflow") return task;
  const call = WorkflowCallConfig.safeParse(task.action_config);
  if (!call.success) return task;
  const child = lookup(call.data.name, call.data.version);
  return child ? { ...task, action_config: { ...task.action_config, version: child.version } } : task;
}

/** Every `{{inputs.x}}` (in configs and for_each) and `inputs.x` (in when) names a declared input. */
function inputReferenceIssues(def: WorkflowDefinition): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const declared = Object.keys(def.inputs);
  const known = declared.length ? `the inputs are: ${declared.join(", ")}` : "the workflow declares no inputs";
  def.tasks.forEach((task, i) => {
    const refs: [string, Reference][] = [
      ...findReferences(task.action_config).refs.map((r) => [`tasks[${i}].action_config`, r] as [string, Reference]),
      ...findReferences(task.for_each ?? "").refs.map((r) => [`tasks[${i}].for_each`, r] as [string, Reference]),
    ];
    for (const [at, ref] of refs) {
      const name = ref.path[0];
      if (ref.root !== INPUTS_ROOT || name === undefined || Object.hasOwn(def.inputs, name)) continue;
      issues.push({ path: at, message: `{{${ref.raw}}} reads the input "${String(name)}", which is not declared (${known})` });
    }
    if (task.when && conditionRoots(task.when).roots.includes(INPUTS_ROOT)) {
      for (const m of task.when.matchAll(/\binputs\.([A-Za-z_]\w*)/g)) {
        if (!Object.hasOwn(def.inputs, m[1] ?? "")) {
          issues.push({ path: `tasks[${i}].when`, message: `"${task.when}" reads the input "${m[1]}", which is not declared (${known})` });
        }
      }
    }
    const loop = typeof task.for_each === "string" ? findReferences(task.for_each).refs[0] : undefined;
    const input = loop?.root === INPUTS_ROOT && loop.path.length === 1 ? def.inputs[String(loop.path[0])] : undefined;
    if (input && input.type !== "array") {
      issues.push({
        path: `tasks[${i}].for_each`,
        message: `"${task.for_each}" is the ${input.type} input "${String(loop?.path[0])}", not a list; declare it type: array`,
      });
    }
  });
  for (const [name, out] of Object.entries(def.outputs)) {
    for (const ref of findReferences(out).refs) {
      if (ref.root === INPUTS_ROOT && ref.path[0] !== undefined && !Object.hasOwn(def.inputs, ref.path[0])) {
        issues.push({ path: `outputs.${name}`, message: `{{${ref.raw}}} reads an input that is not declared (${known})` });
      }
    }
  }
  return issues;
}

/** A `for_each` over `{{inputs.x}}` gets a list (an input typed `array` may still hold a non-list through a reference). */
function inputLoopIssues(def: WorkflowDefinition, inputs: Record<string, unknown>): PlanIssue[] {
  const issues: PlanIssue[] = [];
  def.tasks.forEach((task) => {
    const loop = typeof task.for_each === "string" ? findReferences(task.for_each).refs[0] : undefined;
    if (loop?.root !== INPUTS_ROOT || loop.path.length !== 1) return;
    const value = inputs[String(loop.path[0])];
    if (value !== undefined && !Array.isArray(value)) {
      issues.push({
        path: `inputs.${String(loop.path[0])}`,
        message: `${JSON.stringify(value)?.slice(0, 60)} is not a list, and task "${task.id}" runs for_each over it`,
      });
    }
  });
  return issues;
}

/** Sub-workflows exist, take the inputs given, have the outputs read from them, and nest without a cycle. */
function subWorkflowIssues(def: WorkflowDefinition, lookup: WorkflowLookup): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const children = new Map<string, WorkflowDefinition>();
  def.tasks.forEach((task, i) => {
    if (task.action_type !== "workflow") return;
    const call = WorkflowCallConfig.safeParse(task.action_config);
    if (!call.success) return; // the plan validator names the field
    const at = `tasks[${i}].action_config`;
    const child = lookup(call.data.name, call.data.version);
    if (!child) {
      const which = call.data.version ? `${call.data.name}@${call.data.version}` : call.data.name;
      issues.push({ path: `${at}.name`, message: `no workflow "${which}" in the library (see: workflows list)` });
      return;
    }
    children.set(task.id, child);
    const given: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(call.data.inputs)) given[k] = typeof v === "string" && v.includes("{{") ? undefined : v;
    // Referenced values are checked when the child starts; names, required ones and literal values now.
    const childIssues: PlanIssue[] = [];
    resolveInputs(child, given, childIssues, `${at}.inputs`);
    for (const issue of childIssues) {
      const referenced = Object.hasOwn(call.data.inputs, issue.path.split(".").pop() ?? "");
      if (!referenced || !issue.message.includes("required")) issues.push(issue);
    }
  });
  issues.push(...outputReadIssues(def, children));
  const cycle = findWorkflowCycle(def, lookup);
  if (cycle) issues.push({ path: "tasks", message: cycle });
  return issues;
}

/** `{{sub.x}}` where `sub` is a workflow task reads the child's output `x`: it must declare it. */
function outputReadIssues(def: WorkflowDefinition, children: ReadonlyMap<string, WorkflowDefinition>): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const check = (at: string, value: unknown) => {
    for (const ref of findReferences(value).refs) {
      const child = children.get(ref.root);
      const name = ref.path[0];
      if (!child || name === undefined || Object.hasOwn(child.outputs, name)) continue;
      const has = Object.keys(child.outputs);
      issues.push({
        path: at,
        message: `{{${ref.raw}}} reads the output "${String(name)}" of ${workflowRef(child)}, which has ${has.length ? `only: ${has.join(", ")}` : "no outputs"}`,
      });
    }
  };
  def.tasks.forEach((t, i) => {
    check(`tasks[${i}].action_config`, t.action_config);
    check(`tasks[${i}].for_each`, t.for_each);
  });
  for (const [name, out] of Object.entries(def.outputs)) check(`outputs.${name}`, out);
  return issues;
}

/** A chain of sub-workflows that comes back to a name already on it, or goes deeper than MAX_WORKFLOW_DEPTH. */
function findWorkflowCycle(root: WorkflowDefinition, lookup: WorkflowLookup): string | undefined {
  const done = new Set<string>();
  const visit = (def: WorkflowDefinition, chain: WorkflowDefinition[]): string | undefined => {
    const here = [...chain, def];
    if (chain.some((d) => d.name === def.name)) {
      return `sub-workflow cycle: ${here.map(workflowRef).join(" -> ")} (a workflow cannot run itself, directly or through others)`;
    }
    if (here.length > MAX_WORKFLOW_DEPTH) {
      return `sub-workflows nest deeper than ${MAX_WORKFLOW_DEPTH} levels: ${here.map(workflowRef).join(" -> ")}`;
    }
    if (done.has(workflowRef(def))) return undefined;
    for (const task of def.tasks) {
      if (task.action_type !== "workflow") continue;
      const call = WorkflowCallConfig.safeParse(task.action_config);
      const child = call.success ? lookup(call.data.name, call.data.version) : undefined;
      const found = child && visit(child, here);
      if (found) return found;
    }
    done.add(workflowRef(def));
    return undefined;
  };
  return visit(root, []);
}

/**
 * A plan (from a planner, a file or the API) whose `workflow` tasks call the library: each called workflow must
 * exist and take the inputs given (checked before anything runs), and each call is pinned to the version it
 * will run, so a resume runs that version. A plan without such tasks comes back as it was.
 */
export function pinWorkflowCalls(plan: Plan, lookup: WorkflowLookup): Plan {
  if (!plan.tasks.some((t) => t.action_type === "workflow")) return plan;
  const asWorkflow: WorkflowDefinition = {
    name: "(plan)",
    version: "0.0.0",
    description: "plan",
    inputs: {},
    outputs: {},
    tasks: plan.tasks,
  };
  const issues = subWorkflowIssues(asWorkflow, lookup);
  if (issues.length) throw new WorkflowValidationError("The plan's workflow tasks", issues);
  const pinned: Plan = { ...plan, tasks: plan.tasks.map((t) => pinVersion(t, lookup, [])) };
  return pinned;
}
