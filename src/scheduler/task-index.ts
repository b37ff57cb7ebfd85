import type { TaskPatch, TaskState, TaskStatus } from "../model/task-state.js";

/**
 * Derived, incrementally maintained views of a run's task map, so a scheduling step costs what changed,
 * not the size of the plan: which tasks run, which wait for a retry time, which are ready, how many
 * dependencies each still waits for. It is a cache of the state, never a second source of truth: it is
 * rebuilt from the map whenever it cannot be trusted (a new map after a resume or a replay).
 */
export class TaskIndex {
  readonly running = new Set<string>();
  /** `for_each` tasks whose items are laid out: running, but waiting for their items, not holding a slot. */
  readonly holding = new Set<string>();
  readonly pending = new Set<string>();
  /** Pending tasks with a retry time. */
  readonly retryWaiting = new Set<string>();
  /** Pending tasks whose dependencies have all completed (retry time not considered). */
  readonly ready = new Set<string>();
  private readonly waitingOn = new Map<string, number>();
  private readonly dependents = new Map<string, string[]>();
  private readonly order = new Map<string, number>();

  constructor(private readonly tasks: Readonly<Record<string, TaskState>>) {
    let i = 0;
    for (const id in tasks) {
      const t = tasks[id] as TaskState;
      this.order.set(id, i++);
      for (const d of t.dependencies) this.dependents.set(d, [...(this.dependents.get(d) ?? []), id]);
    }
    for (const id in tasks) {
      const t = tasks[id] as TaskState;
      this.waitingOn.set(id, t.dependencies.filter((d) => !isSettled(tasks[d])).length);
      this.enter(id, t);
    }
  }

  /** Record that task `id` changed from `before` to `after` (call after the map holds `after`). */
  update(id: string, before: TaskState | undefined, after: TaskState): void {
    if (before) this.leave(id, before);
    this.enter(id, after);
    const wasCompleted = isSettled(before);
    const isCompleted = isSettled(after);
    if (wasCompleted === isCompleted) return;
    for (const d of this.dependents.get(id) ?? []) {
      const left = (this.waitingOn.get(d) ?? 0) + (isCompleted ? -1 : 1);
      this.waitingOn.set(d, left);
      const dep = this.tasks[d];
      if (dep?.status === "pending" && left === 0) this.ready.add(d);
      else this.ready.delete(d);
    }
  }

  /** Ready tasks in plan order. */
  readyInOrder(): string[] {
    return [...this.ready].sort((a, b) => (this.order.get(a) ?? 0) - (this.order.get(b) ?? 0));
  }

  orderOf(id: string): number {
    return this.order.get(id) ?? Number.MAX_SAFE_INTEGER;
  }

  dependentsOf(id: string): readonly string[] {
    return this.dependents.get(id) ?? [];
  }

  waitingCount(id: string): number {
    return this.waitingOn.get(id) ?? 0;
  }

  count(status: TaskStatus): number {
    if (status === "running") return this.running.size;
    if (status === "pending") return this.pending.size;
    let n = 0;
    for (const id in this.tasks) if (this.tasks[id]?.status === status) n++;
    return n;
  }

  private enter(id: string, t: TaskState): void {
    if (t.status === "running") (t.loop ? this.holding : this.running).add(id);
    if (t.status !== "pending") return;
    this.pending.add(id);
    if (t.retry_at !== undefined) this.retryWaiting.add(id);
    if ((this.waitingOn.get(id) ?? 0) === 0) this.ready.add(id);
  }

  private leave(id: string, t: TaskState): void {
    if (t.status === "running") (t.loop ? this.holding : this.running).delete(id);
    if (t.status !== "pending") return;
    this.pending.delete(id);
    this.retryWaiting.delete(id);
    this.ready.delete(id);
  }
}

/**
 * A dependency no longer waited for: completed, or skipped by a condition (whether its dependent then runs is
 * the dependent's choice, `on_dependency_skipped`, checked by selectReady).
 */
export function isSettled(t: Pick<TaskState, "status" | "skipped_by"> | undefined): boolean {
  return t?.status === "completed" || (t?.status === "skipped" && t.skipped_by === "condition");
}

const indexes = new WeakMap<object, TaskIndex>();

/** The index of a task map, built on first use and kept in step by `applyPatch`. */
export function indexOf(tasks: Readonly<Record<string, TaskState>>): TaskIndex {
  let index = indexes.get(tasks);
  if (!index) {
    index = new TaskIndex(tasks);
    indexes.set(tasks, index);
  }
  return index;
}

/** Apply one patch to a task map in place, keeping its index (if one was built) in step. */
export function applyPatch(tasks: Record<string, TaskState>, id: string, patch: TaskPatch): void {
  const before = tasks[id];
  const after = (before ? { ...before, ...patch } : patch) as TaskState;
  tasks[id] = after;
  const index = indexes.get(tasks);
  if (!index) return;
  if (before === undefined)
    indexes.delete(tasks); // a new task: rebuild on next use
  else index.update(id, before, after);
}
