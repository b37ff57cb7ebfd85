import type { TaskStatus } from "../model/task-state.js";

/** Keys a JS object lists first, in numeric order ("array indices"); every other key keeps insertion order. */
const ARRAY_INDEX = /^(0|[1-9]\d{0,9})$/;
const MAX_ARRAY_INDEX = 4_294_967_294;
/** Insertion-ordered keys sort after every array index. */
const AFTER_INDICES = 2 ** 32;

/**
 * Task counts per status, kept up to date as tasks change, for a run's checkpoints one after another.
 * `counts()` returns the same object, key order included, as counting `Object.values(tasks)` from scratch
 * (a status comes in the order of the first task that has it, tasks in the map's own key order), at the
 * cost of what changed: a heap per status holds the map positions of its tasks, stale entries are
 * dropped when they reach the top.
 */
export class TaskStatusTally {
  private readonly status = new Map<string, TaskStatus>();
  private readonly position = new Map<string, number>();
  private readonly heaps = new Map<TaskStatus, MinHeap>();
  private readonly total = new Map<TaskStatus, number>();
  private inserted = 0;

  /** Forget everything and count `tasks` afresh (a full snapshot of the map). */
  reset(tasks: Readonly<Record<string, { status: TaskStatus }>>): void {
    this.status.clear();
    this.position.clear();
    this.heaps.clear();
    this.total.clear();
    this.inserted = 0;
    this.update(tasks, Object.keys(tasks));
  }

  /** Take the current status of the tasks `ids` names (in the order they were written) from `tasks`. */
  update(tasks: Readonly<Record<string, { status: TaskStatus }>>, ids: Iterable<string>): void {
    for (const id of ids) {
      const next = tasks[id]?.status;
      const before = this.status.get(id);
      if (next === before) continue;
      if (before !== undefined) this.total.set(before, (this.total.get(before) ?? 0) - 1);
      if (next === undefined) {
        this.status.delete(id);
        continue;
      }
      this.status.set(id, next);
      this.total.set(next, (this.total.get(next) ?? 0) + 1);
      const heap = this.heaps.get(next) ?? new MinHeap();
      this.heaps.set(next, heap);
      heap.push(this.positionOf(id), id);
    }
  }

  /** `{status: count}` for the statuses some task has, ordered like a count over the map. */
  counts(): Partial<Record<TaskStatus, number>> {
    const firsts: [number, TaskStatus][] = [];
    for (const [status, n] of this.total) {
      if (n <= 0) continue;
      const heap = this.heaps.get(status);
      while (heap && heap.size > 0 && this.status.get(heap.topId()) !== status) heap.pop();
      if (heap && heap.size > 0) firsts.push([heap.topKey(), status]);
    }
    firsts.sort((a, b) => a[0] - b[0]);
    const out: Partial<Record<TaskStatus, number>> = {};
    for (const [, status] of firsts) out[status] = this.total.get(status) ?? 0;
    return out;
  }

  private positionOf(id: string): number {
    let at = this.position.get(id);
    if (at === undefined) {
      at = ARRAY_INDEX.test(id) && Number(id) <= MAX_ARRAY_INDEX ? Number(id) : AFTER_INDICES + this.inserted++;
      this.position.set(id, at);
    }
    return at;
  }
}

/** A binary min-heap of (key, id). */
class MinHeap {
  private readonly keys: number[] = [];
  private readonly ids: string[] = [];

  get size(): number {
    return this.keys.length;
  }

  topKey(): number {
    return this.keys[0] ?? Number.POSITIVE_INFINITY;
  }

  topId(): string {
    return this.ids[0] ?? "";
  }

  push(key: number, id: string): void {
    let i = this.keys.length;
    this.keys.push(key);
    this.ids.push(id);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((this.keys[parent] ?? 0) <= key) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): void {
    const lastKey = this.keys.pop();
    const lastId = this.ids.pop();
    if (this.keys.length === 0 || lastKey === undefined || lastId === undefined) return;
    this.keys[0] = lastKey;
    this.ids[0] = lastId;
    let i = 0;
    for (;;) {
      const [l, r] = [2 * i + 1, 2 * i + 2];
      let min = i;
      if (l < this.keys.length && (this.keys[l] ?? 0) < (this.keys[min] ?? 0)) min = l;
      if (r < this.keys.length && (this.keys[r] ?? 0) < (this.keys[min] ?? 0)) min = r;
      if (min === i) return;
      this.swap(i, min);
      i = min;
    }
  }

  private swap(a: number, b: number): void {
    [this.keys[a], this.keys[b]] = [this.keys[b] ?? 0, this.keys[a] ?? 0];
    [this.ids[a], this.ids[b]] = [this.ids[b] ?? "", this.ids[a] ?? ""];
  }
}
