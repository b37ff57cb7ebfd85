import { z } from "zod";

/** A `{{reference}}` (or anything shaped like one) in the SQL text. */
const REFERENCE_IN_SQL = /\{\{[^{}]*\}\}/;

/**
 * `db_query` config: one SQL statement with `$1`-style parameters bound by the driver. References are
 * refused in the SQL text, so a value never becomes SQL: they belong in `params`.
 */
export const DbQueryConfig = z.strictObject({
  query: z
    .string()
    .trim()
    .min(1, "query is required")
    .superRefine((query, ctx) => {
      const ref = REFERENCE_IN_SQL.exec(query)?.[0];
      if (ref === undefined) return;
      ctx.addIssue({
        code: "custom",
        message:
          `${ref} is inside the SQL text of query: parameters are always bound, never spliced into the SQL. ` +
          `Put the value in params and write $1, $2... in the query (e.g. "query": "SELECT * FROM t WHERE id = $1", "params": ["${ref}"])`,
      });
    }),
  params: z.array(z.unknown()).default([]),
});
export type DbQueryConfig = z.infer<typeof DbQueryConfig>;

export interface DbQueryResult {
  rows: unknown[];
  row_count: number;
}
