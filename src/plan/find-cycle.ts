import type { TaskSpec } from "../model/plan-schema.js";

/**
 * Find one cycle in the dependency graph, returned as ids with the first repeated at the end,
 * in the order the tasks would run (`a -> b` means b waits for a). Iterative, so a chain of
 * thousands of tasks cannot overflow the call stack.
 */
export function findCycle(tasks: readonly Pick<TaskSpec, "id" | "dependencies">[]): string[] | undefined {
  const deps = new Map(tasks.map((t) => [t.id, t.dependencies]));
  const state = new Map<string, "visiting" | "done">();
  for (const t of tasks) {
    if (state.has(t.id)) continue;
    // The DFS path, each entry with the index of the next dependency to look at.
    const path: { id: string; next: number }[] = [{ id: t.id, next: 0 }];
    state.set(t.id, "visiting");
    while (path.length > 0) {
      const top = path[path.length - 1] as { id: string; next: number };
      const dep = (deps.get(top.id) ?? [])[top.next++];
      if (dep === undefined) {
        state.set(top.id, "done");
        path.pop();
      } else if (deps.has(dep)) {
        const s = state.get(dep);
        if (s === "visiting") {
          const ids = path.map((p) => p.id);
          return [...ids.slice(ids.indexOf(dep)), dep].reverse();
        }
        if (s === undefined) {
          state.set(dep, "visiting");
          path.push({ id: dep, next: 0 });
        }
      }
    }
  }
  return undefined;
}
