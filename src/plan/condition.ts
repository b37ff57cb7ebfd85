import { jsonata } from "../../utils/jsonata.js";

type Node = Record<string, unknown>;

/**
 * The root names a `when` expression reads: the first step of each path at the top (`fetch.data`, `flag`) and the
 * step after `$$` anywhere (`$$.inputs.min` inside a predicate). Names inside a predicate or a later step are
 * relative to the item there, not roots.
 */
export function conditionRoots(expression: string): { roots: string[]; error?: string } {
  let ast: unknown;
  try {
    ast = jsonata(expression).ast();
  } catch (err) {
    return { roots: [], error: (err as Error).message };
  }
  const roots = new Set<string>();
  // Iterative walk: an expression is bounded in length (MAX_CONDITION_CHARS), but not in nesting.
  const stack: { node: unknown; relative: boolean }[] = [{ node: ast, relative: false }];
  while (stack.length > 0) {
    const { node, relative } = stack.pop() as { node: unknown; relative: boolean };
    if (node === null || typeof node !== "object") continue;
    if (Array.isArray(node)) {
      for (const n of node) stack.push({ node: n, relative });
      continue;
    }
    const n = node as Node;
    if (n.type === "path" && Array.isArray(n.steps)) {
      const steps = n.steps as Node[];
      const [first, second] = steps;
      const fromRoot = first?.type === "variable" && first.value === "";
      if (fromRoot && second?.type === "name" && typeof second.value === "string") roots.add(second.value);
      else if (!relative && first?.type === "name" && typeof first.value === "string") roots.add(first.value);
      // Everything below a step (its predicates, the later steps) is read relative to that step's items.
      steps.forEach((step, i) => {
        for (const [key, value] of Object.entries(step)) {
          if (key !== "value" && key !== "position") stack.push({ node: value, relative: relative || i > 0 || key !== "type" });
        }
      });
      continue;
    }
    if (n.type === "name" && !relative && typeof n.value === "string") roots.add(n.value);
    for (const [key, value] of Object.entries(n)) {
      if (key === "value" || key === "position") continue;
      // A filter's or a sort's own expressions read the items they apply to.
      stack.push({ node: value, relative: relative || key === "stages" || key === "predicate" || key === "group" });
    }
  }
  return { roots: [...roots] };
}
