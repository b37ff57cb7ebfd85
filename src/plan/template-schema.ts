import { z } from "zod";

/** Matches a string that is exactly one `{{reference}}`, which keeps the referenced value's type. */
export const PURE_REFERENCE = /^\{\{\s*([^{}]+?)\s*\}\}$/;

/** A field that takes `inner`, or a pure `{{reference}}` resolved at run time (checked again then). */
export function templated<T extends z.ZodType>(inner: T) {
  return z.union([inner, z.string().regex(PURE_REFERENCE, "expected a value or a {{reference}}")]);
}
