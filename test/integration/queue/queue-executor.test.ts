import { Queue } from "bullmq";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { WorkflowEngine } from "../../../src/engine/workflow-engine.js";
import { ErrorCode } from "../../../src/model/errors.js";
import { bullPrefix, jobIdOf, queueName } from "../../../src/queue/queue-names.js";
import { QueueExecutor } from "../../../src/queue/queue-executor.js";
import type { TaskWorker } from "../../../src/queue/task-worker.js";
import { silentLogger } from "../../../utils/logger.js";
import { plan, waitTask } from "../../fixtures/plans.js";
import { attemptOf, eventually, inTestWorker, outcomeSink, queuePrefix, REDIS_URL } from "../../fixtures/queue.js";

const { prefix, cleanup } = queuePrefix("qexec");
const open: { close(grace?: number): Promise<void> }[] = [];
let runs = 0;
const newRun = () => `run-${++runs}`;

function executor(): QueueExecutor {
  const e = new QueueExecutor({ redisUrl: REDIS_URL, keyPrefix: prefix }, silentLogger());
  open.push(e);
  return e;
}

async function worker(options: Parameters<typeof inTestWorker>[0] = {}): Promise<{ worker: TaskWorker; ended: Map<string, number> }> {
  const w = inTestWorker({ keyPrefix: prefix, ...options });
  await w.worker.start();
  open.push({ close: () => w.worker.close(0) });
  return w;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close(0)));
});
afterAll(cleanup);

describe("QueueExecutor with a TaskWorker (real Redis)", () => {
  it("runs an attempt on the worker and delivers its result; an action's failure comes back as an outcome, not a failed job", async () => {
    const { ended } = await worker();
    const ex = executor();
    const runId = newRun();
    const ok = outcomeSink();
    const bad = outcomeSink();
    ex.launch(attemptOf(runId, "sum", "transform_data", { input: [1, 2, 3], expression: "$sum($)" }), ok.deliver);
    ex.launch(attemptOf(runId, "broken", "transform_data", { input: [1], expression: "$nosuchfunction(" }), bad.deliver);
    const [good, failed] = await Promise.all([ok.next, bad.next]);
    expect(good).toMatchObject({ ok: true, result: { data: 6 }, runId, taskId: "sum", attempt: 1, attemptId: `${runId}:sum:1` });
    expect(failed).toMatchObject({ ok: false, taskId: "broken", error: { code: ErrorCode.Transform, retryable: false } });
    await ex.drain();
    expect([...ended.values()]).toEqual([1, 1]);
    const [metrics] = (await ex.queueMetrics()).filter((q) => q.actionType === "transform_data");
    expect(metrics).toMatchObject({ queue: "tasks-transform_data", failed: 0, completed: 2, waiting: 0, active: 0, workers: 1 });
  });

  it("a worker checks the attempt's verify rules like the in-process executor: a false one fails the attempt", async () => {
    await worker();
    const ex = executor();
    const sink = outcomeSink();
    const attempt = {
      ...attemptOf(newRun(), "v", "transform_data", { input: 6, expression: "$" }),
      verify: [{ assert: "result.data = 7", message: "not seven" }],
    };
    ex.launch(attempt, sink.deliver);
    expect(await sink.next).toMatchObject({ ok: false, error: { code: "VERIFY_FAILED", message: expect.stringContaining("not seven") } });
  });

  it("an attempt launched again by a new coordinator (after a crash) is not run again: the finished job's outcome is delivered", async () => {
    const { ended } = await worker();
    const attempt = attemptOf(newRun(), "t", "wait", { seconds: 0.05 });
    const first = outcomeSink();
    executor().launch(attempt, first.deliver);
    const delivered = await first.next;
    const again = outcomeSink();
    executor().launch(attempt, again.deliver);
    expect(await again.next).toEqual(delivered);
    expect(ended.get(jobIdOf(attempt.id))).toBe(1);
  });

  it("a coordinator that dies while the job waits leaves one job: the new coordinator's enqueue is a no-op and gets the outcome", async () => {
    const attempt = attemptOf(newRun(), "t", "wait", { seconds: 0.05 });
    const gone = executor();
    gone.launch(attempt, () => {
      throw new Error("the dead coordinator must not get an outcome");
    });
    const queue = new Queue(queueName("wait"), { connection: { url: REDIS_URL }, prefix: bullPrefix(prefix) });
    open.push(queue);
    await eventually(async () => (await queue.getJob(jobIdOf(attempt.id))) !== undefined, 10_000, "the job to be enqueued");
    await gone.close();
    const next = outcomeSink();
    executor().launch(attempt, next.deliver);
    const { ended } = await worker();
    expect(await next.next).toMatchObject({ ok: true, taskId: "t" });
    expect(ended.get(jobIdOf(attempt.id))).toBe(1);
    expect(await queue.getJobState(jobIdOf(attempt.id))).toBe("completed");
  });

  it("abort removes a waiting job and delivers CANCELLED; nothing runs it later", async () => {
    const ex = executor();
    const attempt = attemptOf(newRun(), "t", "wait", { seconds: 0.05 });
    const sink = outcomeSink();
    ex.launch(attempt, sink.deliver);
    ex.abort(attempt.id, "run cancelled by a test");
    expect(await sink.next).toMatchObject({
      ok: false,
      error: { code: ErrorCode.Cancelled, message: expect.stringContaining("run cancelled by a test") },
    });
    const { ended } = await worker();
    const [wait] = (await ex.queueMetrics()).filter((q) => q.actionType === "wait");
    expect(wait).toMatchObject({ waiting: 0, active: 0 });
    expect(ended.size).toBe(0);
  });

  it("abort of an active attempt signals its worker over the cancel channel: it ends CANCELLED, as a returned outcome", async () => {
    const { ended } = await worker();
    const ex = executor();
    const attempt = attemptOf(newRun(), "long", "wait", { seconds: 60 });
    const sink = outcomeSink();
    ex.launch(attempt, sink.deliver);
    await eventually(
      async () => (await ex.queueMetrics()).some((q) => q.actionType === "wait" && q.active === 1),
      10_000,
      "the job to be active",
    );
    ex.abort(attempt.id, "stop now");
    const outcome = await sink.next;
    expect(outcome).toMatchObject({ ok: false, error: { code: ErrorCode.Cancelled } });
    expect(outcome.endedAt - outcome.startedAt).toBeLessThan(30_000);
    expect(ended.get(jobIdOf(attempt.id))).toBe(1);
  });

  it("a worker shut down with jobs in hand hands them back to the queue after its grace period; another worker runs them", async () => {
    const first = inTestWorker({ keyPrefix: prefix });
    await first.worker.start();
    const ex = executor();
    const attempt = attemptOf(newRun(), "handed", "wait", { seconds: 0.3 });
    const sink = outcomeSink();
    ex.launch(attempt, sink.deliver);
    await eventually(
      async () => (await ex.queueMetrics()).some((q) => q.actionType === "wait" && q.active === 1),
      10_000,
      "the job to be active",
    );
    await first.worker.close(0);
    expect(first.ended.size).toBe(0);
    const [wait] = (await ex.queueMetrics()).filter((q) => q.actionType === "wait");
    expect(wait).toMatchObject({ waiting: 1, active: 0, failed: 0 });
    const second = await worker();
    expect(await sink.next).toMatchObject({ ok: true, taskId: "handed" });
    expect(second.ended.get(jobIdOf(attempt.id))).toBe(1);
  });

  it("a worker serves only the action types it is given: the others wait in their own queues", async () => {
    const { ended } = await worker({ actions: ["transform_data"] });
    const ex = executor();
    const runId = newRun();
    const waiting = outcomeSink();
    const served = outcomeSink();
    ex.launch(attemptOf(runId, "w", "wait", { seconds: 0 }), waiting.deliver);
    ex.launch(attemptOf(runId, "x", "transform_data", { input: 2, expression: "$ * 2" }), served.deliver);
    expect(await served.next).toMatchObject({ ok: true, result: { data: 4 } });
    const metrics = Object.fromEntries((await ex.queueMetrics()).map((q) => [q.actionType, q]));
    expect(metrics.wait).toMatchObject({ waiting: 1, workers: 0 });
    expect(metrics.transform_data).toMatchObject({ workers: 1 });
    expect(waiting.count()).toBe(0);
    const other = await worker({ actions: ["wait"] });
    expect(await waiting.next).toMatchObject({ ok: true, taskId: "w" });
    expect([ended.size, other.ended.size]).toEqual([1, 1]);
  });
});

describe("the engine with executor: queue", () => {
  it("runs a plan's tasks on the workers, and its metrics show the queues", async () => {
    const { ended } = await worker();
    const engine = new WorkflowEngine({ executor: "queue", redisUrl: REDIS_URL, redisPrefix: prefix, persist: "memory", env: {} });
    open.push(engine);
    const result = await engine.run(plan(waitTask("a", 10), waitTask("b", 10, ["a"]), waitTask("c", 10, ["a"])));
    expect(result.status).toBe("completed");
    expect(ended.size).toBe(3);
    const metrics = await engine.queueMetrics();
    expect(metrics?.find((q) => q.actionType === "wait")).toMatchObject({ waiting: 0, active: 0, workers: 1 });
  });

  it("refuses executor: queue without Redis, saying what to set; in-process shows no queues", async () => {
    expect(() => new WorkflowEngine({ executor: "queue", env: {} })).toThrow(
      expect.objectContaining({ code: ErrorCode.ConfigInvalid, message: expect.stringContaining("set REDIS_URL") }),
    );
    expect(() => new WorkflowEngine({ env: { EXECUTOR: "queue" } })).toThrow(expect.objectContaining({ code: ErrorCode.ConfigInvalid }));
    const engine = new WorkflowEngine({ persist: "memory", env: {} });
    open.push(engine);
    expect(await engine.queueMetrics()).toBeUndefined();
  });
});
