import { describe, expect, it } from "vitest";
import { ErrorCode, WorkflowError } from "../../../src/model/errors.js";
import type { WorkflowEvent } from "../../../src/model/events.js";
import type { AttemptOutcome, Executor, TaskAttempt } from "../../../src/model/executor.js";
import { defaultRunSafety } from "../../../src/model/safety-policy.js";
import type { TaskState } from "../../../src/model/task-state.js";
import { RunLoop } from "../../../src/scheduler/run-loop.js";
import type { RunView } from "../../../src/scheduler/run-view.js";

/** An executor that holds every attempt until the test settles it: the port's contract, nothing else. */
class HeldExecutor implements Executor {
  readonly launched: TaskAttempt[] = [];
  readonly aborted: string[] = [];
  private readonly deliveries = new Map<string, (o: AttemptOutcome) => void>();

  launch(attempt: TaskAttempt, deliver: (outcome: AttemptOutcome) => void): void {
    this.launched.push(attempt);
    this.deliveries.set(attempt.id, deliver);
  }
  abort(attemptId: string): void {
    this.aborted.push(attemptId);
  }
  async drain(): Promise<void> {}

  /** Deliver an outcome for a launched attempt (as often as the test likes: delivery is at least once). */
  settle(attempt: TaskAttempt, outcome: Partial<AttemptOutcome>): void {
    const deliver = this.deliveries.get(attempt.id);
    if (!deliver) throw new Error(`attempt ${attempt.id} was never launched`);
    deliver({
      attemptId: attempt.id,
      runId: attempt.runId,
      taskId: attempt.taskId,
      attempt: attempt.attempt,
      ok: true,
      startedAt: 1,
      endedAt: 2,
      ...outcome,
    });
  }
}

function task(id: string, patch: Partial<TaskState> = {}): TaskState {
  return { id, action_type: "wait", action_config: { seconds: 0 }, dependencies: [], status: "running", attempts: 1, ...patch };
}

function view(tasks: TaskState[], variables: Record<string, unknown> = {}): RunView {
  return {
    context: { workflow_id: "run-1", status: "running", started_at: new Date(0).toISOString(), concurrency: 4, safety: defaultRunSafety() },
    tasks: Object.fromEntries(tasks.map((t) => [t.id, t])),
    memory: { variables },
    pending_failures: [],
  };
}

describe("RunLoop", () => {
  it("hands an attempt to the executor with the results its config refers to, and returns its outcome", async () => {
    const executor = new HeldExecutor();
    const loop = new RunLoop("run-1", executor);
    const fetch = task("fetch", { status: "completed", result: { n: 3 } });
    const other = task("other", { status: "completed", result: "not referenced" });
    const use = task("use", {
      action_type: "transform_data",
      action_config: { input: "{{fetch.n}}", expression: "$" },
      dependencies: ["fetch", "other"],
    });
    loop.start(view([fetch, other, use], { v: 1 }), use);
    const [attempt] = executor.launched;
    expect(attempt).toMatchObject({
      id: "run-1:use:1",
      taskId: "use",
      attempt: 1,
      results: { fetch: { n: 3 } },
      variables: { v: 1 },
      dependencies: ["fetch", "other"],
    });
    expect(loop.hasStarted("use", 1)).toBe(true);
    expect(loop.hasStarted("use", 2)).toBe(false);
    executor.settle(attempt as TaskAttempt, { result: 42 });
    const outcomes = await loop.next();
    expect(outcomes).toEqual([expect.objectContaining({ taskId: "use", attempt: 1, ok: true, result: 42 })]);
    expect(loop.inFlightCount).toBe(0);
  });

  it("keeps one outcome per attempt: a repeated or stale delivery changes nothing", async () => {
    const executor = new HeldExecutor();
    const loop = new RunLoop("run-1", executor);
    const t = task("a");
    loop.start(view([t]), t);
    const attempt = executor.launched[0] as TaskAttempt;
    executor.settle(attempt, { result: "first" });
    executor.settle(attempt, { result: "again" });
    executor.settle(attempt, { attemptId: "run-1:a:0", attempt: 0, result: "stale" });
    const outcomes = await loop.next();
    expect(outcomes.map((o) => o.result)).toEqual(["first"]);
  });

  it("cancel aborts every attempt in flight; their outcomes carry the cancel error (e.g. RUN_DEADLINE)", async () => {
    const executor = new HeldExecutor();
    const loop = new RunLoop("run-1", executor);
    const a = task("a");
    const b = task("b");
    const v = view([a, b]);
    loop.start(v, a);
    loop.start(v, b);
    const deadline = new WorkflowError(ErrorCode.RunDeadline, "the run ran out of time");
    loop.cancel("deadline", deadline);
    expect(executor.aborted.sort()).toEqual(["run-1:a:1", "run-1:b:1"]);
    expect(loop.signal.aborted).toBe(true);
    for (const attempt of executor.launched)
      executor.settle(attempt, { ok: false, error: { code: ErrorCode.Cancelled, message: "cancelled", retryable: false } });
    const outcomes = await loop.next();
    expect(outcomes.map((o) => [o.taskId, o.error?.code])).toEqual([
      ["a", ErrorCode.RunDeadline],
      ["b", ErrorCode.RunDeadline],
    ]);
  });

  it("an attempt started after cancel is never launched and ends cancelled", async () => {
    const executor = new HeldExecutor();
    const loop = new RunLoop("run-1", executor);
    loop.cancel("stop");
    const t = task("late");
    loop.start(view([t]), t);
    expect(executor.launched).toHaveLength(0);
    await loop.settle();
    expect(loop.inFlightCount).toBe(0);
  });

  it("next(until) returns nothing once the time passes with nothing finished", async () => {
    const loop = new RunLoop("run-1", new HeldExecutor());
    expect(await loop.next(Date.now() + 5)).toEqual([]);
    expect(await loop.next()).toEqual([]);
  });

  it("settle waits for the attempts in flight", async () => {
    const executor = new HeldExecutor();
    const loop = new RunLoop("run-1", executor);
    const t = task("a");
    loop.start(view([t]), t);
    let settled = false;
    const waiting = loop.settle().then(() => {
      settled = true;
    });
    await Promise.resolve();
    expect(settled).toBe(false);
    executor.settle(executor.launched[0] as TaskAttempt, {});
    await waiting;
    expect(settled).toBe(true);
  });

  it("holds events about outcomes until the step is committed (flush); a launch is announced at once", () => {
    const loop = new RunLoop("run-1", new HeldExecutor());
    const seen: WorkflowEvent[] = [];
    loop.events.subscribe((e) => seen.push(e));
    const t = task("a");
    loop.start(view([t]), t);
    expect(seen.map((e) => e.type)).toEqual(["task_started"]);
    loop.events.emitAfterCommit({ type: "task_completed", task_id: "a" });
    expect(seen).toHaveLength(1);
    loop.events.flush();
    expect(seen.map((e) => [e.type, e.run_id])).toEqual([
      ["task_started", "run-1"],
      ["task_completed", "run-1"],
    ]);
  });
});
