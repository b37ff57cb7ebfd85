import type { HistoryEntry } from "../model/task-state.js";

/** One attempt of one task, as a timeline (Gantt) draws it. */
export interface AttemptSpan {
  task_id: string;
  attempt: number;
  started_at: string;
  /** Absent while the attempt runs. */
  ended_at?: string;
  outcome: "running" | "completed" | "failed" | "cancelled";
  /** The error's code and message, for a failed attempt. */
  detail?: string;
}

/**
 * Every task attempt of a run, in the order they started, from its history: a `task_started` line opens an
 * attempt and the `task_completed`/`task_failed` line with the same task and attempt closes it. An attempt
 * that started again after a crash (the same attempt number) is one span, from its first start.
 */
export function attemptTimeline(history: readonly HistoryEntry[]): AttemptSpan[] {
  const spans: AttemptSpan[] = [];
  const open = new Map<string, AttemptSpan>();
  for (const h of history) {
    if (h.task_id === undefined || h.attempt === undefined) continue;
    const key = `${h.task_id}\u0000${h.attempt}`;
    if (h.event === "task_started") {
      if (open.has(key)) continue;
      const span: AttemptSpan = { task_id: h.task_id, attempt: h.attempt, started_at: h.at, outcome: "running" };
      open.set(key, span);
      spans.push(span);
      continue;
    }
    const span = open.get(key);
    if (span?.outcome !== "running") continue;
    if (h.event === "task_completed") Object.assign(span, { ended_at: h.at, outcome: "completed" });
    else if (h.event === "task_failed") {
      const cancelled = h.detail?.startsWith("CANCELLED") ?? false;
      Object.assign(span, { ended_at: h.at, outcome: cancelled ? "cancelled" : "failed", ...(h.detail ? { detail: h.detail } : {}) });
    }
  }
  return spans;
}
