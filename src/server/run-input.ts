import { z } from "zod";
import { RunStatus } from "../model/task-state.js";

/** A run id a client may choose: what the CLI's --run-id takes, and `@` (schedules' ids use it). */
const RunIdParam = z.string().regex(/^[\w.:@-]{1,128}$/, "a run id is 1 to 128 letters, digits or . _ : @ -");

const Variables = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "a variable name is a plain identifier"), z.unknown());

const source = {
  goal: z.string().trim().min(1).max(10_000).optional(),
  plan: z.looseObject({ tasks: z.array(z.unknown()) }).optional(),
  /** A library workflow, `NAME` or `NAME@VERSION`; its inputs are checked by the workflow's own declarations. */
  workflow: z
    .string()
    .regex(/^[a-z][a-z0-9_-]{0,63}(@\d{1,6}\.\d{1,6}\.\d{1,6})?$/, "a workflow is NAME or NAME@VERSION (see GET /workflows)")
    .optional(),
  /** The workflow's inputs; for a prebuilt example, `{source: URL}` alone runs it against that API. */
  inputs: z.record(z.string(), z.unknown()).optional(),
  variables: Variables.optional(),
};

/** Exactly one of a goal, a plan, or a prebuilt workflow; inputs only with a workflow. */
function oneSource<T extends z.ZodObject>(schema: T) {
  return schema
    .refine((b) => [b.goal, b.plan, b.workflow].filter((v) => v !== undefined).length === 1, {
      message: "give exactly one of goal, plan or workflow",
    })
    .refine((b) => b.inputs === undefined || b.workflow !== undefined, { message: "inputs go with a workflow", path: ["inputs"] });
}

/** What a run is made from: a goal, a plan, or a prebuilt workflow with its inputs; and its variables. */
export const RunSource = oneSource(z.strictObject(source));
export type RunSource = z.infer<typeof RunSource>;

/** POST /runs. */
export const StartRunBody = oneSource(z.strictObject({ ...source, run_id: RunIdParam.optional() }));
export type StartRunBody = z.infer<typeof StartRunBody>;

export const RunParams = z.strictObject({ id: RunIdParam });

export const ListRunsQuery = z.strictObject({
  status: z.enum(RunStatus).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(400).optional(),
});

export const DecisionBody = z
  .strictObject({
    tasks: z.array(z.string().min(1).max(200)).min(1).max(10_000).optional(),
    by: z.string().min(1).max(200).optional(),
    reason: z.string().min(1).max(2000).optional(),
  })
  .default({});

export const RollbackBody = z.strictObject({ dry_run: z.boolean().default(false) }).default({ dry_run: false });

export const CancelBody = z.strictObject({ reason: z.string().min(1).max(2000).optional() }).default({});

export const GraphQuery = z.strictObject({ format: z.enum(["mermaid", "dot", "json"]).default("json") });

export const EventsQuery = z.strictObject({ after: z.string().max(64).optional() });
