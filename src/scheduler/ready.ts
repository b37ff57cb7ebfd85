import { indexOf, isSettled } from "./task-index.js";
import type { TaskSpec } from "../model/plan-schema.js";
import type { TaskState } from "../model/task-state.js";

type DependencyView = Pick<TaskState, "status" | "skipped_by"> | undefined;

/** True when `task` may run after `dep`: it completed, or its condition skipped it and `task` opts in. */
function satisfies(dep: DependencyView, task: Pick<TaskSpec, "on_dependency_skipped">): boolean {
  return dep?.status === "completed" || (isSettled(dep) && task.on_dependency_skipped === "run");
}

/**
 * Tasks that may start now: pending, every dependency completed, retry time reached. At most
 * `concurrency - running` are returned, in plan order so runs are reproducible. `overlay` holds the
 * patches of the step being built, read on top of `tasks`. Costs what changed, not the plan's size
 * (see task-index.ts).
 */
export function selectReady(
  tasks: Readonly<Record<string, TaskState>>,
  concurrency: number,
  now: number,
  overlay: Readonly<Record<string, Partial<TaskState>>> = {},
  hold?: { test(id: string): boolean; held: string[] },
): string[] {
  const index = indexOf(tasks);
  const status = (id: string) => overlay[id]?.status ?? tasks[id]?.status;
  const view = (id: string): DependencyView => (overlay[id] ? ({ ...tasks[id], ...overlay[id] } as TaskState) : tasks[id]);
  let running = index.running.size;
  const candidates = new Set(index.ready);
  const loops = new LoopSlots(tasks, index.running);
  for (const id in overlay) {
    const before = tasks[id]?.status;
    const after = status(id);
    const wasRunning = index.running.has(id);
    // A for_each task whose items were just laid out stops holding a slot: it waits for them.
    const isRunning = after === "running" && !(overlay[id]?.loop ?? tasks[id]?.loop);
    if (wasRunning && !isRunning) running--;
    if (!wasRunning && isRunning) running++;
    if (wasRunning !== isRunning) loops.count(id, isRunning ? 1 : -1);
    if (after === "pending" && before !== "pending") candidates.add(id);
    if (isSettled(view(id)) && !isSettled(tasks[id])) for (const d of index.dependentsOf(id)) candidates.add(d);
  }
  const room = Math.max(0, concurrency - running);
  if (room === 0 && !hold) return [];
  const ready: string[] = [];
  for (const id of [...candidates].sort((a, b) => index.orderOf(a) - index.orderOf(b))) {
    if (ready.length >= room && !hold) break;
    const t = tasks[id];
    if (!t || status(id) !== "pending") continue;
    const retryAt = overlay[id] && "retry_at" in (overlay[id] ?? {}) ? overlay[id]?.retry_at : t.retry_at;
    if (retryAt !== undefined && retryAt > now) continue;
    if (!t.dependencies.every((d) => satisfies(view(d), t))) continue;
    if (!loops.hasRoom(t)) continue;
    // Held tasks (waiting for approval) take no slot: they are reported, not started.
    if (hold?.test(id)) hold.held.push(id);
    else if (ready.length < room) {
      ready.push(id);
      loops.count(id, 1);
    }
  }
  return ready;
}

/** Items of each for_each task running now, against the task's `concurrency`. */
class LoopSlots {
  private readonly running = new Map<string, number>();
  constructor(
    private readonly tasks: Readonly<Record<string, TaskState>>,
    runningIds: Iterable<string>,
  ) {
    for (const id of runningIds) this.count(id, 1);
  }

  count(id: string, delta: number): void {
    const parent = this.tasks[id]?.loop_of;
    if (parent !== undefined) this.running.set(parent, (this.running.get(parent) ?? 0) + delta);
  }

  hasRoom(t: TaskState): boolean {
    if (t.loop_of === undefined) return true;
    const cap = this.tasks[t.loop_of]?.concurrency;
    return cap === undefined || (this.running.get(t.loop_of) ?? 0) < cap;
  }
}

/**
 * Pending tasks that can never start because a dependency ended without completing; `byCondition` when that
 * dependency was skipped by its condition (so this skip is not an error either).
 */
export function selectBlocked(tasks: Readonly<Record<string, TaskState>>): { id: string; blocker: string; byCondition: boolean }[] {
  const blocked: { id: string; blocker: string; byCondition: boolean }[] = [];
  for (const t of Object.values(tasks)) {
    if (t.status !== "pending") continue;
    const blocker = t.dependencies.find((d) => {
      const dep = tasks[d];
      return dep?.status === "failed" || (dep?.status === "skipped" && !satisfies(dep, t));
    });
    if (blocker !== undefined) blocked.push({ id: t.id, blocker, byCondition: tasks[blocker]?.skipped_by === "condition" });
  }
  return blocked;
}

/** Every task that depends on `id`, directly or through others. */
export function transitiveDependents(tasks: Readonly<Record<string, Pick<TaskState, "id" | "dependencies">>>, id: string): string[] {
  const dependents = new Map<string, string[]>();
  for (const t of Object.values(tasks)) {
    for (const d of t.dependencies) dependents.set(d, [...(dependents.get(d) ?? []), t.id]);
  }
  const seen = new Set<string>();
  const queue = [id];
  while (queue.length) {
    for (const next of dependents.get(queue.shift() as string) ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return [...seen];
}

/** Earliest pending retry time, if any task is waiting for one. */
export function nextRetryAt(tasks: Readonly<Record<string, TaskState>>): number | undefined {
  let earliest: number | undefined;
  for (const id of indexOf(tasks).retryWaiting) {
    const at = tasks[id]?.retry_at;
    if (at !== undefined && (earliest === undefined || at < earliest)) earliest = at;
  }
  return earliest;
}

/** Length of the longest dependency chain, weighting each task by `weight(task)` (e.g. its duration). */
export function criticalPath<T extends Pick<TaskState, "id" | "dependencies">>(tasks: readonly T[], weight: (task: T) => number): number {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const memo = new Map<string, number>();
  const finish = (t: T): number => {
    const known = memo.get(t.id);
    if (known !== undefined) return known;
    let start = 0;
    for (const d of t.dependencies) {
      const dep = byId.get(d);
      if (dep) start = Math.max(start, finish(dep));
    }
    const value = start + weight(t);
    memo.set(t.id, value);
    return value;
  };
  return tasks.reduce((max, t) => Math.max(max, finish(t)), 0);
}
