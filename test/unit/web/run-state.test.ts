import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { WorkflowEvent } from "../../../src/model/events.js";
import { applyEvent } from "../../../web/dashboard/run-state.js";
import type { RunDetail } from "../../../web/dashboard/types.js";

const T0 = Date.parse("2026-01-01T00:00:00.000Z");
const at = (ms: number) => new Date(T0 + ms).toISOString();

function runOf(...ids: string[]): RunDetail {
  return {
    workflow_id: "r1",
    status: "running",
    tasks: ids.map((id) => ({ id, action_type: "wait", action_config: {}, dependencies: [], status: "pending", attempts: 0 })),
    metrics: {},
    attempts: [],
  };
}

const ev = (type: WorkflowEvent["type"], extra: Partial<WorkflowEvent> = {}): WorkflowEvent => ({
  type,
  run_id: "r1",
  at: at(0),
  ...extra,
});

describe("the dashboard's live run state", () => {
  it("follows a task through a failed attempt, a retry and a success, one timeline span per attempt", () => {
    const run = runOf("a");
    applyEvent(run, ev("task_started", { task_id: "a", attempt: 1, at: at(0) }));
    expect(run.tasks[0]?.status).toBe("running");
    applyEvent(
      run,
      ev("task_failed", { task_id: "a", attempt: 1, at: at(100), error: { code: "HTTP_STATUS", message: "503", retryable: true } }),
    );
    applyEvent(run, ev("task_retry", { task_id: "a", attempt: 1, at: at(100) }));
    expect(run.tasks[0]?.status).toBe("pending");
    applyEvent(run, ev("task_started", { task_id: "a", attempt: 2, at: at(600) }));
    applyEvent(run, ev("task_completed", { task_id: "a", attempt: 2, at: at(700) }));
    expect(run.tasks[0]).toMatchObject({ status: "completed", attempts: 2 });
    expect(run.attempts).toEqual([
      { task_id: "a", attempt: 1, started_at: at(0), ended_at: at(100), outcome: "failed" },
      { task_id: "a", attempt: 2, started_at: at(600), ended_at: at(700), outcome: "completed" },
    ]);
  });

  it("dates an attempt it did not see start from the end event's duration", () => {
    const run = runOf("a");
    applyEvent(run, ev("task_completed", { task_id: "a", attempt: 1, at: at(500), duration_ms: 200 }));
    expect(run.attempts).toEqual([{ task_id: "a", attempt: 1, started_at: at(300), ended_at: at(500), outcome: "completed" }]);
  });

  it("moves the run's status on approval_requested, run_started and run_completed", () => {
    const run = runOf("a");
    applyEvent(run, ev("approval_requested", { status: "awaiting_approval" }));
    expect(run.status).toBe("awaiting_approval");
    applyEvent(run, ev("run_started"));
    expect(run.status).toBe("running");
    applyEvent(run, ev("run_completed", { status: "completed_with_errors" }));
    expect(run.status).toBe("completed_with_errors");
  });

  it("an event for an earlier attempt does not move a task back", () => {
    const run = runOf("a");
    applyEvent(run, ev("task_started", { task_id: "a", attempt: 2 }));
    applyEvent(run, ev("task_failed", { task_id: "a", attempt: 1 }));
    expect(run.tasks[0]?.status).toBe("running");
  });

  it("applying a sequence twice ends where applying it once does (re-reads replay events)", () => {
    const event = fc.record({
      type: fc.constantFrom("task_started", "task_completed", "task_failed", "task_retry", "task_skipped" as const),
      task_id: fc.constantFrom("a", "b"),
      attempt: fc.integer({ min: 1, max: 3 }),
      at: fc.integer({ min: 0, max: 10_000 }).map(at),
    });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 20 }), (events) => {
        const once = runOf("a", "b");
        const twice = runOf("a", "b");
        for (const e of events) applyEvent(once, { ...e, run_id: "r1" });
        for (const e of [...events, ...events]) applyEvent(twice, { ...e, run_id: "r1" });
        expect(twice.attempts).toEqual(once.attempts);
      }),
    );
  });
});
