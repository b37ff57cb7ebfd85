import { z } from "zod";

/**
 * Matches a string that is exactly one `{{reference}}`, which keeps the referenced value's type.
 * The group keeps surrounding spaces (trim it): `\s*` around a lazy group backtracks cubically
 * on a long unclosed `{{`.
 */
export const PURE_REFERENCE = /^\{\{([^{}]+)\}\}$/;

/** A field that takes `inner`, or a pure `{{reference}}` resolved at run time (checked again then). */
export function templated<T extends z.ZodType>(inner: T) {
  return z.union([inner, z.string().regex(PURE_REFERENCE, "expected a value or a {{reference}}")]);
}
