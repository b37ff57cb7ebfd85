import type { PlanIssue } from "../model/errors.js";
import type { InputType, WorkflowDefinition, WorkflowInputSpec } from "../model/workflow-schema.js";

const MAX_SHOWN = 60;

/** A value as an issue shows it: JSON, shortened. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (value === null) return "null";
  if (typeof value === "number" && Number.isInteger(value)) return "integer";
  return typeof value;
}

function fits(type: InputType, value: unknown): boolean {
  const actual = typeOf(value);
  return actual === type || (type === "number" && actual === "integer");
}

/**
 * Text given on a command line (`--input k=v`) as the declared type: numbers, booleans and JSON for arrays and
 * objects; left as text when it does not parse (the type check then names it).
 */
export function coerceInput(spec: WorkflowInputSpec | undefined, text: string): unknown {
  if (!spec || spec.type === "string") return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Whether `spec` must be given: required unless it says otherwise or has a default. */
export function isRequired(spec: WorkflowInputSpec): boolean {
  return spec.required ?? spec.default === undefined;
}

/**
 * The inputs a run gets: those given, checked against the declarations (no unknown name, every required one,
 * types and allowed values), with defaults for the rest. Problems go to `issues`, each naming the input.
 */
export function resolveInputs(
  def: WorkflowDefinition,
  given: Record<string, unknown>,
  issues: PlanIssue[],
  at = "inputs",
): Record<string, unknown> {
  const declared = Object.keys(def.inputs);
  const values: Record<string, unknown> = {};
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(def.inputs, name)) {
      const known = declared.length ? `the inputs are: ${declared.join(", ")}` : "it declares no inputs";
      issues.push({ path: `${at}.${name}`, message: `"${name}" is not an input of ${def.name}@${def.version} (${known})` });
    }
  }
  for (const [name, spec] of Object.entries(def.inputs)) {
    const value = Object.hasOwn(given, name) && given[name] !== undefined ? given[name] : spec.default;
    if (value === undefined) {
      if (isRequired(spec)) {
        const what = spec.description ? `: ${spec.description}` : "";
        issues.push({ path: `${at}.${name}`, message: `the required input "${name}" (${spec.type}${what}) is missing; give it` });
      }
      continue;
    }
    if (!fits(spec.type, value)) {
      issues.push({ path: `${at}.${name}`, message: `${shown(value)} is ${typeOf(value)}, but the input "${name}" is ${spec.type}` });
      continue;
    }
    if (spec.enum && !spec.enum.includes(value as string | number)) {
      issues.push({ path: `${at}.${name}`, message: `${shown(value)} is not one of ${spec.enum.map((v) => shown(v)).join(", ")}` });
      continue;
    }
    Object.defineProperty(values, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return values;
}

/** Placeholder inputs for checking a definition without a run: each declared input at its default, or a value of its type. */
export function sampleInputs(def: WorkflowDefinition): Record<string, unknown> {
  const sample: Record<string, unknown> = {};
  const of: Record<InputType, unknown> = { string: "", number: 0, integer: 0, boolean: false, array: [], object: {} };
  for (const [name, spec] of Object.entries(def.inputs)) sample[name] = spec.default ?? spec.enum?.[0] ?? of[spec.type];
  return sample;
}
