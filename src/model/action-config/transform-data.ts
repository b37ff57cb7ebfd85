import { z } from "zod";
import { templated } from "../template-schema.js";

export const FilterOperator = ["==", "!=", ">", ">=", "<", "<=", "contains", "in", "exists"] as const;

const Field = z.string().min(1);

/** Shorthand operations a planner can emit; each compiles to JSONata. */
export const TransformOperation = z.discriminatedUnion("op", [
  z.strictObject({
    op: z.literal("filter"),
    field: Field,
    operator: z.enum(FilterOperator).default("=="),
    value: z.unknown().optional(),
  }),
  z.strictObject({ op: z.literal("rename"), fields: z.record(z.string(), Field) }),
  z.strictObject({ op: z.literal("map"), fields: z.record(z.string(), z.string().min(1)) }),
  z.strictObject({ op: z.literal("pick"), fields: z.array(Field).min(1) }),
  z.strictObject({ op: z.literal("sort"), by: Field, order: z.enum(["asc", "desc"]).default("asc") }),
  z.strictObject({ op: z.literal("limit"), count: z.number().int().nonnegative() }),
  z.strictObject({ op: z.literal("count") }),
  z.strictObject({ op: z.literal("merge") }),
]);
export type TransformOperation = z.infer<typeof TransformOperation>;

/** `transform_data` config: `input` (usually a reference) through a JSONata `expression` and/or `operations`. */
export const TransformDataConfig = z
  .strictObject({
    input: z.unknown(),
    expression: z.string().min(1).optional(),
    /** A list, or a `{{reference}}` to one (a workflow's input): checked again once resolved. */
    operations: templated(z.array(TransformOperation)).optional(),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.expression === undefined && (cfg.operations === undefined || cfg.operations.length === 0)) {
      ctx.addIssue({ code: "custom", path: ["expression"], message: "give an expression or at least one operation" });
    }
  });
export type TransformDataConfig = z.infer<typeof TransformDataConfig>;

export interface TransformDataResult {
  data: unknown;
}
