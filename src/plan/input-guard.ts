import type { PlanIssue } from "../model/errors.js";

/** Deeper than this, plan input is refused before anything walks it recursively. */
const MAX_PLAN_DEPTH = 64;

const PROTO = "__proto__";

/**
 * Checks on raw plan input (parsed JSON or YAML, or a planner's output) that must run before the
 * schema: nesting deeper than MAX_PLAN_DEPTH (which would overflow the recursive checks after it)
 * and own `__proto__` keys (which schemas silently drop and plain assignment turns into a
 * prototype). Iterative, so it is safe on any depth.
 */
export function inputGuardIssues(input: unknown): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: input, path: "", depth: 0 }];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop() as { value: unknown; path: string; depth: number };
    if (typeof value !== "object" || value === null) continue;
    if (depth >= MAX_PLAN_DEPTH) {
      return [
        {
          path,
          message: `the plan is nested more than ${MAX_PLAN_DEPTH} levels deep here; flatten this value (or read it from a file at run time)`,
        },
      ];
    }
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        stack.push({ value: v, path: `${path}[${i}]`, depth: depth + 1 });
      });
      continue;
    }
    for (const key of Object.keys(value)) {
      const at = path ? `${path}.${key}` : key;
      if (key === PROTO) {
        issues.push({ path: at, message: `"${PROTO}" cannot be used as a key (it would change an object's prototype); rename it` });
        continue;
      }
      stack.push({ value: (value as Record<string, unknown>)[key], path: at, depth: depth + 1 });
    }
  }
  return issues;
}
