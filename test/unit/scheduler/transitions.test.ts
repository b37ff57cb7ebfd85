import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../../src/model/errors.js";
import type { AttemptOutcome } from "../../../src/model/executor.js";
import type { TaskState } from "../../../src/model/task-state.js";
import { emptyStep } from "../../../src/scheduler/run-view.js";
import { isCurrent, markRunning, markSkipped, recordOutcome } from "../../../src/scheduler/transitions.js";

const pending: TaskState = {
  id: "a",
  action_type: "wait",
  action_config: { seconds: 0 },
  dependencies: [],
  status: "pending",
  attempts: 1,
  retry_at: 5,
};

function outcome(patch: Partial<AttemptOutcome> = {}): AttemptOutcome {
  return { attemptId: "r:a:2", runId: "r", taskId: "a", attempt: 2, ok: true, startedAt: 1_000, endedAt: 1_250, ...patch };
}

describe("task transitions", () => {
  it("markRunning starts the next attempt, clears the retry time and writes one history line", () => {
    const step = emptyStep();
    const started = markRunning(step, pending, "2026-01-01T00:00:00.000Z");
    expect(started).toMatchObject({ status: "running", attempts: 2, started_at: "2026-01-01T00:00:00.000Z", retry_at: undefined });
    expect(step.tasks.a).toMatchObject({ status: "running", attempts: 2 });
    expect(step.history).toEqual([{ at: "2026-01-01T00:00:00.000Z", event: "task_started", task_id: "a", attempt: 2 }]);
  });

  it("markRunning keeps what the step already decided for the task (an approval)", () => {
    const step = emptyStep();
    step.tasks.a = { approval: "approved" };
    markRunning(step, pending, "t");
    expect(step.tasks.a).toMatchObject({ approval: "approved", status: "running" });
  });

  it("recordOutcome completes with the result and the time of every attempt summed", () => {
    const running = { ...pending, status: "running" as const, attempts: 2, total_ms: 100 };
    const { patch, entry, event } = recordOutcome(running, outcome({ result: { ok: 1 } }));
    expect(patch).toMatchObject({ status: "completed", result: { ok: 1 }, duration_ms: 250, total_ms: 350 });
    expect(entry).toMatchObject({ event: "task_completed", task_id: "a", attempt: 2 });
    expect(event).toMatchObject({ type: "task_completed", task_id: "a", duration_ms: 250 });
  });

  it("recordOutcome fails with the error, named in the history line", () => {
    const running = { ...pending, status: "running" as const, attempts: 2 };
    const error = { code: ErrorCode.HttpStatus, message: "503 from the API", retryable: true };
    const { patch, entry } = recordOutcome(running, outcome({ ok: false, error }));
    expect(patch).toMatchObject({ status: "failed", error });
    expect(entry.detail).toBe("HTTP_STATUS: 503 from the API");
  });

  it("isCurrent accepts only the attempt the state has running", () => {
    const running = { ...pending, status: "running" as const, attempts: 2 };
    expect(isCurrent(running, outcome())).toBe(true);
    expect(isCurrent(running, outcome({ attempt: 1 }))).toBe(false);
    expect(isCurrent({ ...running, status: "completed" }, outcome())).toBe(false);
    expect(isCurrent(undefined, outcome())).toBe(false);
  });

  it("markSkipped records the reason", () => {
    const step = emptyStep();
    markSkipped(step, "b", 'dependency "a" did not complete', "t");
    expect(step.tasks.b).toEqual({ status: "skipped", skip_reason: 'dependency "a" did not complete' });
    expect(step.history[0]).toMatchObject({ event: "task_skipped", task_id: "b" });
  });
});
