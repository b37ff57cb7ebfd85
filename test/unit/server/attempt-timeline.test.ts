import { describe, expect, it } from "vitest";
import { attemptTimeline } from "../../../src/engine/attempt-timeline.js";
import type { HistoryEntry } from "../../../src/model/task-state.js";

const at = (s: number) => new Date(s * 1000).toISOString();

describe("the attempt timeline (the dashboard's Gantt)", () => {
  it("opens an attempt at task_started and closes it at its own outcome; retries are separate bars; a restarted attempt is one", () => {
    const history: HistoryEntry[] = [
      { at: at(0), event: "planned" },
      { at: at(1), event: "task_started", task_id: "a", attempt: 1 },
      { at: at(1), event: "task_started", task_id: "b", attempt: 1 },
      { at: at(2), event: "task_failed", task_id: "a", attempt: 1, detail: "HTTP_STATUS: 503" },
      { at: at(3), event: "task_retry", task_id: "a", attempt: 1 },
      { at: at(4), event: "task_started", task_id: "a", attempt: 2 },
      // A crash and resume: the same attempt starts again; it stays one bar from its first start.
      { at: at(5), event: "task_started", task_id: "a", attempt: 2 },
      { at: at(6), event: "task_completed", task_id: "a", attempt: 2 },
      { at: at(7), event: "task_failed", task_id: "b", attempt: 1, detail: "CANCELLED: the run was cancelled" },
      { at: at(8), event: "task_started", task_id: "c", attempt: 1 },
    ];
    expect(attemptTimeline(history)).toEqual([
      { task_id: "a", attempt: 1, started_at: at(1), ended_at: at(2), outcome: "failed", detail: "HTTP_STATUS: 503" },
      { task_id: "b", attempt: 1, started_at: at(1), ended_at: at(7), outcome: "cancelled", detail: "CANCELLED: the run was cancelled" },
      { task_id: "a", attempt: 2, started_at: at(4), ended_at: at(6), outcome: "completed" },
      { task_id: "c", attempt: 1, started_at: at(8), outcome: "running" },
    ]);
  });
});
