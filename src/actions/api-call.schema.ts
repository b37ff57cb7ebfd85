import { z } from "zod";
import { templated } from "../plan/template-schema.js";

export const HttpMethod = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/** `api_call` config: an HTTP request made with axios. `timeout` is in seconds. */
export const ApiCallConfig = z.strictObject({
  method: z
    .string()
    .transform((m) => m.toUpperCase())
    .pipe(z.enum(HttpMethod))
    .default("GET"),
  url: z.string().min(1, "url is required"),
  headers: z.record(z.string(), z.string()).optional(),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  body: z.unknown().optional(),
  timeout: templated(z.number().positive().max(3600)).optional(),
});
export type ApiCallConfig = z.infer<typeof ApiCallConfig>;

export interface ApiCallResult {
  status: number;
  headers: Record<string, string>;
  data: unknown;
}
