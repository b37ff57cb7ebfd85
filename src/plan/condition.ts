import { jsonata } from "../../utils/jsonata.js";

/** The root names a `when` expression reads: the first step of each path, and bare names (`flag`, `fetch.data`). */
export function conditionRoots(expression: string): { roots: string[]; error?: string } {
  let ast: unknown;
  try {
    ast = jsonata(expression).ast();
  } catch (err) {
    return { roots: [], error: (err as Error).message };
  }
  const roots = new Set<string>();
  // Iterative walk: an expression is bounded in length (MAX_CONDITION_CHARS), but not in nesting.
  const stack: { node: unknown; inPath: boolean }[] = [{ node: ast, inPath: false }];
  while (stack.length > 0) {
    const { node, inPath } = stack.pop() as { node: unknown; inPath: boolean };
    if (node === null || typeof node !== "object") continue;
    if (Array.isArray(node)) {
      for (const n of node) stack.push({ node: n, inPath });
      continue;
    }
    const n = node as Record<string, unknown>;
    if (n.type === "path" && Array.isArray(n.steps)) {
      const [first, ...rest] = n.steps as Record<string, unknown>[];
      if (first?.type === "name" && typeof first.value === "string") roots.add(first.value);
      else stack.push({ node: first, inPath: false });
      for (const step of rest) stack.push({ node: step, inPath: true });
      continue;
    }
    if (n.type === "name" && !inPath && typeof n.value === "string") roots.add(n.value);
    for (const [key, value] of Object.entries(n)) {
      if (key !== "value" && key !== "position") stack.push({ node: value, inPath: false });
    }
  }
  return { roots: [...roots] };
}
