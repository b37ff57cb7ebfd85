import { createHash } from "node:crypto";
import type { TaskSpec } from "../model/plan-schema.js";
import type { TaskState } from "../model/task-state.js";
import type { InputType, WorkflowDefinition, WorkflowInputSpec } from "../model/workflow-schema.js";

/** One past run as suggest reads it: its id and its tasks in plan order (loop items left out). */
export interface PastRun {
  runId: string;
  /** When it started (ISO): runs are read oldest first, and the oldest names the tasks and inputs. */
  startedAt: string;
  tasks: TaskState[];
}

/** A suggested workflow: the definition, how many runs it covers and which. */
export interface Suggestion {
  definition: WorkflowDefinition;
  runs: number;
  runIds: string[];
}

/** Fields whose value is part of what a task does, not of what it works on: runs that differ in them differ in shape. */
const STRUCTURAL = new Set(["method", "operation", "op", "operator", "expression", "until"]);
const MAX_INPUTS = 50;

/**
 * Task sequences that recur across past runs, as parameterised workflows: whole runs, and stretches of consecutive
 * tasks that stand on their own inside longer runs (a stretch that always comes within a longer suggested one is not
 * suggested again). Two runs hold the same sequence when their tasks, in order, have the same action types, the same dependency structure and the same config shape
 * (keys, value types, structural fields such as method and operation, references by position): only the values
 * differ. Each sequence seen in at least `minRuns` runs becomes a workflow whose values that differ are inputs
 * (a string's common prefix and suffix stay literal: `https://api/users/{{inputs.fetch_url}}`). Deterministic:
 * runs are read oldest first, inputs are named by the oldest run's task ids and fields, the name is a hash of
 * the shape.
 */
export function suggestWorkflows(runs: readonly PastRun[], minRuns: number): Suggestion[] {
  const groups = new Map<string, Group>();
  for (const run of [...runs].sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.runId.localeCompare(b.runId))) {
    for (const o of occurrences(run)) {
      const group: Group = groups.get(o.key) ?? { key: o.key, windows: [], at: new Map() };
      if (group.at.has(run.runId)) continue;
      group.windows.push({ runId: run.runId, startedAt: run.startedAt, tasks: o.tasks });
      group.at.set(run.runId, [o.start, o.end]);
      groups.set(o.key, group);
    }
  }
  const frequent = [...groups.values()]
    .filter((g) => g.windows.length >= minRuns)
    .sort((a, b) => (b.windows[0]?.tasks.length ?? 0) - (a.windows[0]?.tasks.length ?? 0) || a.key.localeCompare(b.key));
  const kept: Group[] = [];
  for (const g of frequent) if (!kept.some((longer) => covers(longer, g))) kept.push(g);
  const suggestions = kept.map((g) => ({
    definition: parameterise(g.windows, g.key),
    runs: g.windows.length,
    runIds: g.windows.map((r) => r.runId),
  }));
  return suggestions.sort((a, b) => b.runs - a.runs || a.definition.name.localeCompare(b.definition.name));
}

/** The longest stretch of a run that is looked at as a sequence of its own (the whole run always is). */
const MAX_WINDOW = 20;

interface Group {
  key: string;
  /** Each run's first occurrence, as a run of its own (the window's tasks). */
  windows: PastRun[];
  /** Where it occurs in each run: [start, end) in plan order. */
  at: Map<string, [number, number]>;
}

/**
 * The sequences a run holds: the whole run, and every stretch of 2 to MAX_WINDOW consecutive tasks (plan order)
 * that stands on its own (its tasks depend only on each other), so a sequence repeated inside longer, different
 * runs is found too.
 */
function occurrences(run: PastRun): { key: string; start: number; end: number; tasks: TaskState[] }[] {
  const n = run.tasks.length;
  if (n === 0) return [];
  const out = [{ key: signature(run.tasks), start: 0, end: n, tasks: run.tasks }];
  for (let length = 2; length <= Math.min(MAX_WINDOW, n - 1); length++) {
    for (let start = 0; start + length <= n; start++) {
      const tasks = run.tasks.slice(start, start + length);
      const ids = new Set(tasks.map((t) => t.id));
      if (tasks.every((t) => t.dependencies.every((d) => ids.has(d))))
        out.push({ key: signature(tasks), start, end: start + length, tasks });
    }
  }
  return out;
}

/** True when `longer` occurs in every run `shorter` occurs in, around it: `shorter` adds nothing to suggest. */
function covers(longer: Group, shorter: Group): boolean {
  for (const [runId, [start, end]] of shorter.at) {
    const around = longer.at.get(runId);
    if (!around || around[0] > start || around[1] < end) return false;
  }
  return true;
}

/** References rewritten to task positions, so runs whose tasks are named differently compare equal. */
function positional(value: unknown, ids: ReadonlyMap<string, number>): unknown {
  if (typeof value === "string")
    return value.replace(/\{\{\s*([A-Za-z_][\w-]*)/g, (whole, root: string) => (ids.has(root) ? `{{#${ids.get(root)}` : whole));
  if (Array.isArray(value)) return value.map((v) => positional(v, ids));
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, positional(v, ids)]));
  return value;
}

function shape(value: unknown, key = ""): unknown {
  if (STRUCTURAL.has(key) || (typeof value === "string" && value.includes("{{"))) return value;
  if (Array.isArray(value)) return value.map((v) => shape(v));
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v, k)]));
  return value === null ? "null" : typeof value;
}

function signature(tasks: readonly TaskState[]): string {
  const ids = new Map(tasks.map((t, i) => [t.id, i]));
  return JSON.stringify(
    tasks.map((t) => [t.action_type, t.dependencies.map((d) => ids.get(d) ?? -1).sort(), shape(positional(t.action_config, ids))]),
  );
}

/** The first run's tasks, with every leaf that differs across the group turned into an input. */
function parameterise(group: readonly PastRun[], key: string): WorkflowDefinition {
  const first = group[0] as PastRun;
  const configs = group.map((run) => run.tasks.map((t) => positional(t.action_config, new Map(run.tasks.map((x, i) => [x.id, i])))));
  const firstIds = first.tasks.map((t) => t.id);
  const inputs: Record<string, WorkflowInputSpec> = {};
  const tasks: TaskSpec[] = first.tasks.map((t, i) => {
    const values = configs.map((c) => c[i]);
    const config = merge(values, `${t.id}`, inputs) as Record<string, unknown>;
    return {
      id: t.id,
      ...(t.name ? { name: t.name } : {}),
      action_type: t.action_type,
      action_config: restoreIds(config, firstIds) as Record<string, unknown>,
      dependencies: [...t.dependencies],
      ...(t.retry ? { retry: t.retry } : {}),
      ...(t.on_failure ? { on_failure: t.on_failure } : {}),
    };
  });
  const hash = createHash("sha256").update(key).digest("hex").slice(0, 8);
  const types = [...new Set(first.tasks.map((t) => t.action_type))].join(", ");
  return {
    name: `suggested_${hash}`,
    version: "0.1.0",
    description: `Suggested from ${group.length} past runs (${group
      .map((r) => r.runId)
      .join(", ")
      .slice(0, 300)}): ${first.tasks.length} tasks (${types}); the values that differed are inputs.`,
    tags: ["suggested"],
    inputs,
    tasks,
    outputs: {},
  };
}

/** One value for all runs: the shared value, or a reference to a new input for what differs. */
function merge(values: readonly unknown[], at: string, inputs: Record<string, WorkflowInputSpec>): unknown {
  const [head] = values;
  if (values.every((v) => JSON.stringify(v) === JSON.stringify(head))) return head;
  const allObjects = values.every((v) => v !== null && typeof v === "object" && !Array.isArray(v));
  if (allObjects) {
    const keys = Object.keys(head as object);
    if (values.every((v) => sameKeys(Object.keys(v as object), keys))) {
      return Object.fromEntries(
        keys.map((k) => [
          k,
          merge(
            values.map((v) => (v as Record<string, unknown>)[k]),
            `${at}_${k}`,
            inputs,
          ),
        ]),
      );
    }
  }
  const name = inputName(at, inputs);
  if (name === undefined) return head;
  if (values.every((v) => typeof v === "string" && !v.includes("{{"))) {
    const strings = values as string[];
    // Cut at word boundaries: "notes/alpha.txt" and "notes/gamma.txt" share "notes/" and ".txt", not "a.txt".
    const prefix = toBoundary(commonPrefix(strings), "end");
    const suffix = toBoundary(commonSuffix(strings.map((s) => s.slice(prefix.length))), "start");
    inputs[name] = {
      type: "string",
      description: `differed across runs, e.g. ${examples(strings.map((s) => s.slice(prefix.length, s.length - suffix.length)))}`,
    };
    return `${prefix}{{inputs.${name}}}${suffix}`;
  }
  inputs[name] = { type: typeOf(head), description: `differed across runs, e.g. ${examples(values)}` };
  return `{{inputs.${name}}}`;
}

function restoreIds(value: unknown, ids: readonly string[]): unknown {
  if (typeof value === "string")
    return value.replace(/\{\{#(\d+)/g, (whole, i: string) => (ids[Number(i)] === undefined ? whole : `{{${ids[Number(i)]}`));
  if (Array.isArray(value)) return value.map((v) => restoreIds(v, ids));
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, restoreIds(v, ids)]));
  return value;
}

function inputName(at: string, inputs: Record<string, WorkflowInputSpec>): string | undefined {
  if (Object.keys(inputs).length >= MAX_INPUTS) return undefined;
  const base = at
    .replace(/[^A-Za-z0-9_]/g, "_")
    .replace(/^([^A-Za-z_])/, "_$1")
    .slice(0, 60);
  let name = base;
  for (let n = 2; Object.hasOwn(inputs, name); n++) name = `${base}_${n}`;
  return name;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k) => b.includes(k));
}

function typeOf(value: unknown): InputType {
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  if (typeof value === "boolean") return "boolean";
  if (value !== null && typeof value === "object") return "object";
  return "string";
}

/** A common prefix cut back to end after a separator (or a suffix to start with one), so a word is never split. */
function toBoundary(common: string, side: "end" | "start"): string {
  if (side === "end") {
    const at = common.search(/[^A-Za-z0-9_][A-Za-z0-9_]*$/);
    return at < 0 ? "" : common.slice(0, at + 1);
  }
  const at = common.search(/[^A-Za-z0-9_]/);
  return at < 0 ? "" : common.slice(at);
}

function commonPrefix(strings: readonly string[]): string {
  let p = strings[0] ?? "";
  for (const s of strings) while (!s.startsWith(p)) p = p.slice(0, -1);
  return p;
}

function commonSuffix(strings: readonly string[]): string {
  let p = strings[0] ?? "";
  for (const s of strings) while (!s.endsWith(p)) p = p.slice(1);
  return p;
}

function examples(values: readonly unknown[]): string {
  return [...new Set(values.map((v) => JSON.stringify(v)))].slice(0, 3).join(", ").slice(0, 200);
}
