import { defaultVerify } from "./default-verify.js";
import type { TaskSpecInput } from "../../src/model/plan-schema.js";
import { describeStep, isSource, type PlannedStep } from "./steps.js";
import { actionFor, inputValue, type Output, resultField } from "./task-config.js";
import { idFor, outputKey } from "./task-ids.js";

/**
 * Turn steps into tasks. Data flows through the sentence: each step consumes what the step before
 * produced. Sources (fetch, read, SQL, list, exists) next to each other without "then" form a group
 * that runs in parallel; "merge" combines the group, "save" of a group writes an object keyed by name.
 */

interface Flow {
  tasks: TaskSpecInput[];
  ids: Set<string>;
  /** The tasks the next step waits for, so steps run in the order they were said. */
  prev: string[];
  /** What the sources of the current group wait for. */
  groupDeps: string[];
  /** The data the next step consumes. */
  current: Output[];
  /** Every output of the current run of sources, for "merge". */
  run: Output[];
  lastWasSource: boolean;
  understood: string[];
  notUnderstood: string[];
}

/** The tasks built, what was understood, and the clauses that could not be planned. */
export interface Built {
  tasks: TaskSpecInput[];
  understood: string[];
  notUnderstood: string[];
}

const NEEDS_DATA: Readonly<Record<string, string>> = {
  transform: "transform",
  merge: "merge",
  save: "save",
  http: "send",
};

function names(outputs: readonly Output[]): string {
  return outputs.map((o) => o.taskId).join(", ");
}

/** Why a consuming step cannot run here, or undefined when it can. */
function missingInput(step: PlannedStep, flow: Flow): string | undefined {
  const verb = NEEDS_DATA[step.kind] ?? step.kind;
  if (step.kind === "merge") {
    const n = Math.max(flow.run.length, flow.current.length);
    return n >= 2 ? undefined : `merge needs two or more results before it, found ${n}`;
  }
  if (flow.current.length === 0) return `nothing before it produces data to ${verb}`;
  if (step.kind === "transform" && flow.current.length > 1) {
    return `it could apply to ${flow.current.length} results (${names(flow.current)}); merge them first or handle one at a time`;
  }
  return undefined;
}

function addTask(flow: Flow, step: PlannedStep, deps: string[], input: Output[]): string {
  const id = idFor(step, flow.ids);
  flow.ids.add(id);
  const description = describeStep(step);
  const action = actionFor(step, input.length ? inputValue(input) : undefined);
  const verify = defaultVerify(action.action_type, action.action_config);
  const dependencies = [...new Set([...deps, ...input.map((o) => o.taskId)])];
  const inputs = input.length ? ` Input: ${names(input)}.` : "";
  flow.tasks.push({
    id,
    name: clip(description.charAt(0).toUpperCase() + description.slice(1), 200),
    description: clip(`${description}.${inputs} From: ${[...new Set(step.from)].map((c) => `"${c}"`).join(", ")}`, 2000),
    ...action,
    dependencies,
    ...(step.kind === "http" && step.attempts !== undefined ? { retry: { max_attempts: step.attempts } } : {}),
    ...(verify ? { verify } : {}),
  });
  flow.understood.push(description);
  return id;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function addSource(flow: Flow, step: PlannedStep): void {
  const joins = flow.lastWasSource && (step.joiner !== "then" || step.parallel);
  const deps = joins ? flow.groupDeps : flow.prev;
  const id = addTask(flow, step, deps, []);
  const out: Output = { taskId: id, field: resultField(step), key: outputKey(step, id) };
  if (joins) {
    flow.prev = [...flow.prev, id];
    flow.current = [...flow.current, out];
  } else {
    flow.groupDeps = deps;
    flow.prev = [id];
    flow.current = [out];
  }
  flow.run = flow.lastWasSource ? [...flow.run, out] : [out];
  flow.lastWasSource = true;
}

function addConsumer(flow: Flow, step: PlannedStep): void {
  const consumes = step.kind === "transform" || step.kind === "merge" || step.kind === "save" || step.kind === "http";
  const problem = consumes ? missingInput(step, flow) : undefined;
  if (problem) {
    const entry = `${step.clause} (${problem})`;
    if (!flow.notUnderstood.includes(entry)) flow.notUnderstood.push(entry);
    return;
  }
  const input = !consumes ? [] : step.kind === "merge" && flow.run.length >= 2 ? flow.run : flow.current;
  const id = addTask(flow, step, flow.prev, input);
  flow.prev = [id];
  flow.lastWasSource = false;
  if (step.kind === "transform" || step.kind === "merge") {
    const out: Output = { taskId: id, field: "data", key: id };
    flow.current = [out];
    flow.run = [out];
  }
}

/** Decide, from the data so far, whether "POST to URL" sends that data ("auto" bodies). */
function resolveBody(step: PlannedStep, flow: Flow): PlannedStep {
  if (step.kind !== "http" || step.bodyFrom !== "auto") return step;
  return { ...step, bodyFrom: flow.current.length > 0 ? "input" : "none" };
}

/** Consecutive transform steps become one task ("sort by name, take the first 3" → one transform). */
function coalesce(steps: readonly PlannedStep[]): PlannedStep[] {
  const out: PlannedStep[] = [];
  for (const step of steps) {
    const last = out.at(-1);
    if (last?.kind === "transform" && step.kind === "transform") {
      const clause = last.clause === step.clause ? last.clause : `${last.clause}, ${step.clause}`;
      out[out.length - 1] = { ...last, ops: [...last.ops, ...step.ops], clause, from: [...last.from, ...step.from] };
    } else out.push(step);
  }
  return out;
}

/** Build the tasks for a list of steps. */
export function buildTasks(steps: readonly PlannedStep[]): Built {
  const flow: Flow = {
    tasks: [],
    ids: new Set(),
    prev: [],
    groupDeps: [],
    current: [],
    run: [],
    lastWasSource: false,
    understood: [],
    notUnderstood: [],
  };
  for (const raw of coalesce(steps)) {
    const step = resolveBody(raw, flow);
    if (isSource(step)) addSource(flow, step);
    else addConsumer(flow, step);
  }
  return { tasks: flow.tasks, understood: flow.understood, notUnderstood: flow.notUnderstood };
}
