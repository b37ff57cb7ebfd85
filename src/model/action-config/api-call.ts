import { jsonata } from "../../../utils/jsonata.js";
import { z } from "zod";
import { templated } from "../template-schema.js";

export const HttpMethod = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/** An HTTP method in any case, upper-cased; GET when absent. */
export const HttpMethodField = z
  .string()
  .transform((m) => m.toUpperCase())
  .pipe(z.enum(HttpMethod))
  .default("GET");

/** References are resolved before the run-time parse; at plan time each one stands in as a literal. */
const REFERENCE = /\{\{[^{}]*\}\}/g;

/** `until` must compile as JSONata, so a typo fails plan validation instead of the first poll. */
const UntilExpression = z
  .string()
  .min(1, "until must be a JSONata expression")
  .superRefine((expression, ctx) => {
    try {
      jsonata(expression.replace(REFERENCE, "0"));
    } catch (err) {
      const info = (err ?? {}) as { message?: unknown; position?: unknown };
      const where = typeof info.position === "number" ? ` at position ${info.position}` : "";
      ctx.addIssue({
        code: "custom",
        message:
          `until is not a valid JSONata expression: ${String(info.message ?? err)}${where}. ` +
          `It is evaluated against {status, headers, data}, e.g. data.state = "done"`,
      });
    }
  });

/**
 * `api_call` config: an HTTP request made with axios. `timeout` is in seconds. With `until`, the request
 * is repeated every `interval` seconds until the JSONata condition holds, for at most `deadline` seconds.
 */
export const ApiCallConfig = z
  .strictObject({
    method: HttpMethodField,
    url: z.string().min(1, "url is required"),
    headers: z.record(z.string(), z.string()).optional(),
    params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    body: z.unknown().optional(),
    timeout: templated(z.number().positive().max(3600)).optional(),
    until: UntilExpression.optional(),
    interval: templated(z.number().min(0.01).max(3600)).optional(),
    deadline: templated(z.number().positive().max(86_400)).optional(),
  })
  .superRefine((cfg, ctx) => {
    for (const field of ["interval", "deadline"] as const) {
      if (cfg[field] !== undefined && cfg.until === undefined) {
        ctx.addIssue({
          code: "custom",
          path: [field],
          message: `${field} only applies when polling; add until (a JSONata condition) or remove ${field}`,
        });
      }
    }
  });
export type ApiCallConfig = z.infer<typeof ApiCallConfig>;

export interface ApiCallResult {
  status: number;
  headers: Record<string, string>;
  data: unknown;
  /** Requests made; present only when polling with `until`. */
  polls?: number;
}
