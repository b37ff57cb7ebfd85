import { z } from "zod";

/** `db_query` config: one SQL statement with `$1`-style parameters bound by the driver. */
export const DbQueryConfig = z.strictObject({
  query: z.string().trim().min(1, "query is required"),
  params: z.array(z.unknown()).default([]),
});
export type DbQueryConfig = z.infer<typeof DbQueryConfig>;

export interface DbQueryResult {
  rows: unknown[];
  row_count: number;
}
