import { describe, expect, it } from "vitest";
import { InProcessExecutor } from "../../../src/executor/in-process-executor.js";
import { ErrorCode, WorkflowError } from "../../../src/model/errors.js";
import type { AttemptOutcome, TaskAttempt } from "../../../src/model/executor.js";
import { defaultRunSafety } from "../../../src/model/safety-policy.js";

function attempt(id: string): TaskAttempt {
  return {
    id,
    runId: "r",
    taskId: id,
    attempt: 1,
    actionType: "wait",
    config: {},
    results: {},
    variables: {},
    dependencies: [],
    safety: defaultRunSafety(),
  };
}

function collect(): { outcomes: AttemptOutcome[]; deliver: (o: AttemptOutcome) => void; next: () => Promise<AttemptOutcome> } {
  const outcomes: AttemptOutcome[] = [];
  const waiters: ((o: AttemptOutcome) => void)[] = [];
  return {
    outcomes,
    deliver: (o) => {
      outcomes.push(o);
      waiters.shift()?.(o);
    },
    next: () => new Promise((resolve) => waiters.push(resolve)),
  };
}

describe("InProcessExecutor", () => {
  it("delivers each attempt's result or error once, with the attempt's identity", async () => {
    const executor = new InProcessExecutor(async (a) => {
      if (a.taskId === "bad") throw new WorkflowError(ErrorCode.HttpStatus, "503", { retryable: true });
      return `done ${a.taskId}`;
    });
    const sink = collect();
    executor.launch(attempt("good"), sink.deliver);
    executor.launch(attempt("bad"), sink.deliver);
    await executor.drain();
    expect(sink.outcomes.map((o) => [o.attemptId, o.ok, o.result ?? o.error?.code])).toEqual([
      ["good", true, "done good"],
      ["bad", false, ErrorCode.HttpStatus],
    ]);
  });

  it("abort stops an attempt through its signal and delivers CANCELLED", async () => {
    const executor = new InProcessExecutor(
      (_a, signal) =>
        new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(new Error("stopped")), { once: true })),
    );
    const sink = collect();
    executor.launch(attempt("slow"), sink.deliver);
    const ended = sink.next();
    executor.abort("slow", "the run failed");
    const outcome = await ended;
    expect(outcome).toMatchObject({ ok: false, error: { code: ErrorCode.Cancelled, message: "the run failed" } });
  });

  it("an error that is not a WorkflowError is normalised (INTERNAL_ERROR), never thrown at the loop", async () => {
    const executor = new InProcessExecutor(async () => {
      throw new TypeError("boom");
    });
    const sink = collect();
    executor.launch(attempt("x"), sink.deliver);
    await executor.drain();
    expect(sink.outcomes[0]?.error).toMatchObject({ code: ErrorCode.Internal, message: "boom" });
  });
});
