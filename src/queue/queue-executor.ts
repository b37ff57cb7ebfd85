import { Queue, QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { z } from "zod";
import type { Logger } from "../../utils/logger.js";
import { CancelledError, ErrorCode, WorkflowError } from "../model/errors.js";
import type { AttemptOutcome, Executor, QueueMetrics, TaskAttempt } from "../model/executor.js";
import type { ActionType } from "../model/plan-schema.js";
import { JobOutcome, outcomeOf } from "./job-payload.js";
import { redisOptionsFromUrl } from "./queue-connection.js";
import { ACTION_TYPES, bullPrefix, cancelChannel, cancelMarkerKey, jobIdOf, queueName } from "./queue-names.js";

export const QueueExecutorOptions = z.object({
  redisUrl: z.string().min(1),
  /** The engine's Redis key prefix (REDIS_PREFIX); the queues live under `<prefix>bull:`. */
  keyPrefix: z.string().min(1).max(100).default("wfe:"),
  /**
   * How long a finished job (and its outcome) stays in Redis: a coordinator resumed within this time reads the
   * outcome instead of running the attempt again. Default one day.
   */
  keepFinishedSeconds: z
    .number()
    .int()
    .min(1)
    .max(90 * 86_400)
    .default(86_400),
});
export type QueueExecutorOptions = z.input<typeof QueueExecutorOptions>;

interface Pending {
  attempt: TaskAttempt;
  jobId: string;
  deliver: (outcome: AttemptOutcome) => void;
  /** Settles once the add has been answered (either way). */
  added: Promise<boolean>;
  cancelling?: string;
  resolve: () => void;
  done: Promise<void>;
}

interface Side {
  queue: Queue;
  /** Listening for this queue's completed/failed events from a stream id taken before any add. */
  events?: Promise<QueueEvents>;
}

/**
 * The executor port over BullMQ (ARCHITECTURE.md, "Executors"): each attempt is a job on its action type's queue,
 * with the attempt id as job id, so an enqueue repeated after a crash is a no-op and an attempt whose job already
 * finished delivers the stored outcome. Outcomes arrive as QueueEvents (completed/failed), never by polling; the
 * job is read once after the add, for a job that finished before, and again after a Redis reconnect, for one that
 * finished, or vanished, meanwhile. BullMQ attempts = 1: retries are the engine's (a retry is a new attempt, a new job).
 */
export class QueueExecutor implements Executor {
  private readonly options: z.infer<typeof QueueExecutorOptions>;
  private readonly sides = new Map<ActionType, Side>();
  private readonly pending = new Map<string, Pending>();
  private client: Redis | undefined;
  private closed = false;

  constructor(
    options: QueueExecutorOptions,
    private readonly logger: Logger,
  ) {
    this.options = QueueExecutorOptions.parse(options);
  }

  launch(attempt: TaskAttempt, deliver: (outcome: AttemptOutcome) => void): void {
    const jobId = jobIdOf(attempt.id);
    let resolve: () => void = () => {};
    const done = new Promise<void>((r) => {
      resolve = r;
    });
    const pending: Pending = { attempt, jobId, deliver, resolve, done, added: Promise.resolve(false) };
    this.pending.get(jobId)?.resolve();
    this.pending.set(jobId, pending);
    pending.added = this.enqueue(pending).then(
      () => true,
      (err: unknown) => {
        this.finishWith(jobId, unavailable(err));
        return false;
      },
    );
  }

  abort(attemptId: string, reason: string): void {
    const pending = this.pending.get(jobIdOf(attemptId));
    if (!pending || pending.cancelling !== undefined) return;
    pending.cancelling = reason;
    this.cancel(pending, reason).catch((err: unknown) =>
      this.logger.warn({ err: (err as Error).message, attemptId }, "queue: could not cancel the attempt's job"),
    );
  }

  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending.values()].map((p) => p.done));
  }

  /** Job counts and workers per action-type queue (BullMQ's getJobCounts and getWorkers). */
  async queueMetrics(): Promise<QueueMetrics[]> {
    return Promise.all(
      ACTION_TYPES.map(async (actionType) => {
        const { queue } = this.side(actionType);
        const [counts, workers] = await Promise.all([
          queue.getJobCounts("waiting", "active", "delayed", "failed", "completed"),
          queue.getWorkersCount(),
        ]);
        const n = (k: string) => counts[k] ?? 0;
        return {
          queue: queueName(actionType),
          actionType,
          waiting: n("waiting"),
          active: n("active"),
          delayed: n("delayed"),
          failed: n("failed"),
          completed: n("completed"),
          workers,
        };
      }),
    );
  }

  /** Close the queues and connections; attempts in flight stay in Redis for a resume to pick up. */
  async close(): Promise<void> {
    this.closed = true;
    const sides = [...this.sides.values()];
    this.sides.clear();
    await Promise.all(
      sides.map(async ({ queue, events }) => {
        await (await events?.catch(() => undefined))?.close();
        await queue.close();
      }),
    );
    const client = this.client;
    this.client = undefined;
    if (client) await client.quit().catch(() => client.disconnect());
    for (const p of this.pending.values()) p.resolve();
    this.pending.clear();
  }

  private async enqueue(p: Pending): Promise<void> {
    const side = this.side(p.attempt.actionType);
    // Listening first, from the stream's current end: an outcome published after this point cannot be missed.
    await this.eventsOf(p.attempt.actionType, side);
    const age = this.options.keepFinishedSeconds;
    await side.queue.add(p.attempt.actionType, p.attempt, {
      jobId: p.jobId,
      attempts: 1,
      removeOnComplete: { age },
      removeOnFail: { age },
    });
    // The add is a no-op when the job exists (a resumed coordinator): it may have finished already.
    await this.readFinished(side, p.jobId, false);
  }

  /** Deliver a job's stored outcome when it has finished; `missingIsLost`: a job that is gone will never finish. */
  private async readFinished(side: Side, jobId: string, missingIsLost: boolean): Promise<void> {
    const job = await side.queue.getJob(jobId);
    if (!job) {
      if (missingIsLost && !this.pending.get(jobId)?.cancelling) {
        this.finishWith(jobId, lost("its job is gone from Redis (was Redis restarted without its data?)"));
      } else if (this.pending.get(jobId)?.cancelling) this.finishWith(jobId, cancelled(this.pending.get(jobId)?.cancelling));
      return;
    }
    if (!job.finishedOn) return;
    if (job.failedReason) this.failed(jobId, job.failedReason);
    else this.completed(jobId, job.returnvalue);
  }

  private completed(jobId: string, value: unknown): void {
    const p = this.pending.get(jobId);
    if (!p) return;
    const parsed = JobOutcome.safeParse(value);
    if (!parsed.success) {
      this.finishWith(jobId, lost("its job returned something that is not an attempt outcome"));
      return;
    }
    this.settle(p, outcomeOf(p.attempt, parsed.data));
  }

  private failed(jobId: string, reason: string): void {
    this.finishWith(jobId, lost(`its job failed in the queue: ${reason}`));
  }

  /** End an attempt with an error raised here (not by the action). */
  private finishWith(jobId: string, error: WorkflowError): void {
    const p = this.pending.get(jobId);
    if (!p) return;
    const now = Date.now();
    this.settle(p, { ...outcomeOf(p.attempt, { ok: false, startedAt: now, endedAt: now }), error: error.toJSON() });
  }

  private settle(p: Pending, outcome: AttemptOutcome): void {
    if (this.pending.get(p.jobId) !== p) return;
    this.pending.delete(p.jobId);
    p.resolve();
    p.deliver(outcome);
  }

  /**
   * A waiting job is removed (the attempt ends CANCELLED here); an active one is marked (for a worker that picks it
   * up after a stall) and its worker is told on the cancel channel, which aborts the attempt's signal there.
   */
  private async cancel(p: Pending, reason: string): Promise<void> {
    if (!(await p.added)) return;
    const { queue } = this.side(p.attempt.actionType);
    if ((await queue.remove(p.jobId)) === 1) {
      this.finishWith(p.jobId, cancelled(reason));
      return;
    }
    const client = this.redis();
    const ttl = this.options.keepFinishedSeconds;
    await client.set(cancelMarkerKey(this.options.keyPrefix, p.jobId), reason, "EX", ttl);
    await client.publish(cancelChannel(this.options.keyPrefix), JSON.stringify({ jobId: p.jobId, reason }));
  }

  private side(actionType: ActionType): Side {
    let side = this.sides.get(actionType);
    if (!side) {
      if (this.closed) throw new WorkflowError(ErrorCode.QueueUnavailable, "The queue executor is closed.", { retryable: true });
      const queue = new Queue(queueName(actionType), {
        connection: redisOptionsFromUrl(this.options.redisUrl, "producer"),
        prefix: bullPrefix(this.options.keyPrefix),
      });
      queue.on("error", (err) => this.logError("queue", err));
      side = { queue };
      this.sides.set(actionType, side);
    }
    return side;
  }

  private eventsOf(actionType: ActionType, side: Side): Promise<QueueEvents> {
    side.events ??= (async () => {
      const [last] = await this.redis().xrevrange(side.queue.keys.events ?? "", "+", "-", "COUNT", 1);
      const events = new QueueEvents(queueName(actionType), {
        connection: redisOptionsFromUrl(this.options.redisUrl, "blocking"),
        prefix: bullPrefix(this.options.keyPrefix),
        lastEventId: last?.[0] ?? "0",
      });
      events.on("error", (err) => this.logError("queue events", err));
      events.on("completed", ({ jobId, returnvalue }) => this.completed(jobId, returnvalue));
      events.on("failed", ({ jobId, failedReason }) => this.failed(jobId, failedReason));
      await events.waitUntilReady();
      return events;
    })();
    side.events.catch(() => {
      side.events = undefined;
    });
    return side.events;
  }

  /** The executor's own connection (cancel channel, markers, stream ids); its reconnect triggers a reconciliation. */
  private redis(): Redis {
    if (!this.client) {
      const client = new Redis(redisOptionsFromUrl(this.options.redisUrl, "producer"));
      let lostConnection = false;
      client.on("error", (err) => this.logError("redis", err));
      client.on("close", () => {
        lostConnection = true;
      });
      client.on("ready", () => {
        if (!lostConnection) return;
        lostConnection = false;
        this.reconcile();
      });
      this.client = client;
    }
    return this.client;
  }

  /** After Redis came back: an outcome may have been published while nobody listened, or the job lost with Redis's data. */
  private reconcile(): void {
    for (const p of [...this.pending.values()]) {
      void p.added.then(async (added) => {
        if (!added) return;
        await this.readFinished(this.side(p.attempt.actionType), p.jobId, true).catch((err: unknown) => this.logError("reconcile", err));
      });
    }
  }

  private lastError: string | undefined;
  private logError(where: string, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (message === this.lastError) return;
    this.lastError = message;
    this.logger.warn({ err: message, where }, "queue executor: Redis error; attempts wait for it to come back");
  }
}

function unavailable(err: unknown): WorkflowError {
  if (err instanceof WorkflowError) return err;
  return new WorkflowError(
    ErrorCode.QueueUnavailable,
    `The task queue did not take the attempt: ${(err as Error).message}. Check that Redis (REDIS_URL) is up.`,
    { retryable: true, cause: err },
  );
}

function lost(why: string): WorkflowError {
  return new WorkflowError(ErrorCode.AttemptLost, `The attempt ended without an outcome: ${why}. It is retried as a new attempt.`, {
    retryable: true,
  });
}

function cancelled(reason: string | undefined): WorkflowError {
  return new CancelledError(reason ?? "cancelled");
}
