import type { ActionType } from "../../src/model/plan-schema.js";
import { transformExpression } from "./jsonata/expression.js";
import type { Step } from "./steps.js";

/** A result a later task reads: `{{taskId.field}}`, filed under `key` when several are combined. */
export interface Output {
  readonly taskId: string;
  readonly field: string;
  readonly key: string;
}

/** The reference to one output, e.g. `{{fetch_users.data}}` (keeps the value's type). */
function ref(o: Output): string {
  return `{{${o.taskId}.${o.field}}}`;
}

/** One output as a reference; several as an object keyed by name (`{users: ..., posts: ...}`). */
export function inputValue(outputs: readonly Output[]): unknown {
  const [only] = outputs;
  if (outputs.length === 1 && only) return ref(only);
  const out: Record<string, string> = {};
  for (const o of outputs) {
    let key = o.key;
    for (let n = 2; Object.hasOwn(out, key); n++) key = `${o.key}_${n}`;
    out[key] = ref(o);
  }
  return out;
}

/** The field of a step's result that holds its data. */
export function resultField(step: Step): string {
  switch (step.kind) {
    case "sql":
      return "rows";
    case "read":
      return "content";
    case "list":
      return "entries";
    case "exists":
      return "exists";
    default:
      return "data";
  }
}

function httpConfig(step: Extract<Step, { kind: "http" }>, input: unknown): Record<string, unknown> {
  const body = step.bodyFrom === "literal" ? step.body : step.bodyFrom === "input" ? input : undefined;
  return {
    method: step.method,
    url: step.url,
    ...(body === undefined ? {} : { body }),
    ...(step.headers ? { headers: step.headers } : {}),
    ...(step.params ? { params: step.params } : {}),
    ...(step.timeout === undefined ? {} : { timeout: step.timeout }),
  };
}

/** The action type and config of a step; `input` is the data it consumes (a reference or keyed object). */
export function actionFor(step: Step, input: unknown): { action_type: ActionType; action_config: Record<string, unknown> } {
  switch (step.kind) {
    case "http":
      return { action_type: "api_call", action_config: httpConfig(step, input) };
    case "sql":
      return { action_type: "db_query", action_config: { query: step.query, params: step.params } };
    case "read":
    case "list":
    case "exists":
    case "delete":
      return { action_type: "file_operation", action_config: { operation: step.kind, path: step.path } };
    case "write":
      return {
        action_type: "file_operation",
        action_config: { operation: step.append ? "append" : "write", path: step.path, content: step.content },
      };
    case "save":
      return {
        action_type: "file_operation",
        action_config: { operation: step.append ? "append" : "write", path: step.path, content: input },
      };
    case "transform":
      return { action_type: "transform_data", action_config: { input, expression: transformExpression(step.ops) } };
    case "merge":
      return { action_type: "transform_data", action_config: { input, expression: "$" } };
    case "wait":
      return { action_type: "wait", action_config: step.ms !== undefined ? { ms: step.ms } : { seconds: step.seconds } };
  }
}
