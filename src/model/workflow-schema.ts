import { z } from "zod";
import { WORKFLOW_NAME, WORKFLOW_VERSION } from "./action-config/workflow.js";
import { TaskSpec } from "./plan-schema.js";

export const InputType = ["string", "number", "integer", "boolean", "array", "object"] as const;
export type InputType = (typeof InputType)[number];

const INPUT_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const OUTPUT_NAME = INPUT_NAME;

/** One declared input: its type, whether it must be given, its default and what it is for. */
export const WorkflowInputSpec = z.strictObject({
  type: z.enum(InputType),
  description: z.string().max(2000).optional(),
  /** Given when the caller gives nothing; an input with a default is never required. */
  default: z.unknown().optional(),
  /** Default: true unless there is a default. */
  required: z.boolean().optional(),
  /** The values allowed (strings or numbers). */
  enum: z
    .array(z.union([z.string(), z.number()]))
    .min(1)
    .max(100)
    .optional(),
});
export type WorkflowInputSpec = z.infer<typeof WorkflowInputSpec>;

/**
 * A workflow file (YAML or JSON): a named, versioned, parameterised plan. `{{inputs.x}}` reads an input;
 * `outputs` name what a run returns (and what a parent's `workflow` task gets as its result).
 */
export const WorkflowDefinition = z.strictObject({
  /** Where an editor finds the JSON Schema (ignored by the engine). */
  $schema: z.string().optional(),
  name: z.string().regex(WORKFLOW_NAME, "a workflow name is lowercase letters, digits, _ and -, starting with a letter (max 64)"),
  version: z.string().regex(WORKFLOW_VERSION, "a version is MAJOR.MINOR.PATCH, e.g. 1.0.0"),
  description: z.string().min(1, "describe what the workflow does (planners and search read it)").max(2000),
  /** Words for search, beside the name and description. */
  tags: z.array(z.string().min(1).max(40)).max(20).optional(),
  inputs: z
    .record(z.string().regex(INPUT_NAME, "an input name is letters, digits and _, starting with a letter or _"), WorkflowInputSpec)
    .default({}),
  tasks: z.array(TaskSpec).min(1, "a workflow needs at least one task").max(10_000),
  outputs: z.record(z.string().regex(OUTPUT_NAME, "an output name is letters, digits and _"), z.string().min(1)).default({}),
  /** Let the workflow's db_query tasks write (as `allow_writes` in a plan file). */
  allow_writes: z.boolean().optional(),
});
export type WorkflowDefinition = z.infer<typeof WorkflowDefinition>;
export type WorkflowDefinitionInput = z.input<typeof WorkflowDefinition>;

/** `name@version` of a definition. */
export function workflowRef(def: Pick<WorkflowDefinition, "name" | "version">): string {
  return `${def.name}@${def.version}`;
}

/** Compare two MAJOR.MINOR.PATCH versions as numbers. */
export function compareVersions(a: string, b: string): number {
  const [x, y] = [a.split(".").map(Number), b.split(".").map(Number)];
  for (let i = 0; i < 3; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Split `NAME[@VERSION]`. */
export function parseWorkflowRef(ref: string): { name: string; version?: string } {
  const at = ref.lastIndexOf("@");
  if (at <= 0) return { name: ref };
  return { name: ref.slice(0, at), version: ref.slice(at + 1) };
}
