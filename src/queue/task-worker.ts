import { type Job, WaitingError, Worker } from "bullmq";
import { Redis } from "ioredis";
import { z } from "zod";
import type { Logger } from "../../utils/logger.js";
import type { AttemptRunner } from "../executor/in-process-executor.js";
import { CancelledError, ErrorCode, ensureWorkflowError, WorkflowError } from "../model/errors.js";
import { ActionType } from "../model/plan-schema.js";
import { JobAttempt, type JobOutcome, outcomeOf } from "./job-payload.js";
import type { Telemetry } from "../model/telemetry.js";
import type { TaskAttempt } from "../model/executor.js";
import { narrowSafety, type WorkerSafety } from "./narrow-safety.js";
import { redisOptionsFromUrl } from "./queue-connection.js";
import { bullPrefix, cancelChannel, cancelMarkerKey, queueName } from "./queue-names.js";

export const TaskWorkerOptions = z.object({
  redisUrl: z.string().min(1),
  keyPrefix: z.string().min(1).max(100).default("wfe:"),
  /** The action types served, one queue each (default: all). */
  actions: z
    .array(z.enum(ActionType))
    .min(1)
    .default([...ActionType]),
  /** Attempts run at once per served queue. */
  concurrency: z.number().int().min(1).max(1024).default(8),
  /**
   * How long a job's lock lasts without renewal (renewed every half of it while the attempt runs): a worker killed
   * mid-attempt has its job moved back to waiting within about this long plus `stalledCheckSeconds`.
   */
  lockSeconds: z.number().min(1).max(3600).default(30),
  /** How often this worker looks for stalled jobs (default: lockSeconds). */
  stalledCheckSeconds: z.number().min(0.5).max(3600).optional(),
  /** Shown by `getWorkers` (CLIENT LIST), e.g. host:pid. */
  name: z.string().min(1).max(200).optional(),
});
export type TaskWorkerOptions = z.input<typeof TaskWorkerOptions>;

/** What a worker runs attempts with: the same attempt runner as the in-process executor, and its own narrowing. */
export interface TaskWorkerDeps {
  run: AttemptRunner;
  safety: WorkerSafety;
  /** Cleans an outcome of the secrets the worker knows (its environment, resolved configs) before it goes to Redis. */
  scrub<T>(value: T): T;
  logger: Logger;
  /** Called as each job ends here (for logs, metrics and tests). */
  onJob?(job: { jobId: string; actionType: ActionType; ok: boolean; code?: string; durationMs: number }): void;
  /** Tracing, when on: each attempt's span continues the trace its job carries. */
  telemetry?: Telemetry;
}

/**
 * Serves the task queues of some action types (one BullMQ Worker each) with the engine's attempt runner. An
 * action's failure is the job's *return value* (ok: false, the error with its retry decision); a job fails in
 * BullMQ only when the worker itself breaks or stalls twice (maxStalledCount 1: a job whose worker died runs at
 * most once more). Cancel requests come on `<prefix>cancel`; shutdown hands the jobs in hand back to the queue.
 */
export class TaskWorker {
  private readonly options: z.infer<typeof TaskWorkerOptions>;
  private readonly workers: Worker[] = [];
  private client: Redis | undefined;
  private subscriber: Redis | undefined;
  private handingBack = false;
  private running = 0;

  constructor(
    options: TaskWorkerOptions,
    private readonly deps: TaskWorkerDeps,
  ) {
    this.options = TaskWorkerOptions.parse(options);
  }

  /** Attempts running on this worker now. */
  get activeJobs(): number {
    return this.running;
  }

  /** Connect, subscribe to cancel requests, and start taking jobs; resolves once every queue is served. */
  async start(): Promise<void> {
    const { redisUrl, keyPrefix, lockSeconds, stalledCheckSeconds, concurrency, name } = this.options;
    this.client = new Redis(redisOptionsFromUrl(redisUrl, "producer"));
    this.client.on("error", (err) => this.logError(err));
    this.subscriber = new Redis(redisOptionsFromUrl(redisUrl, "blocking"));
    this.subscriber.on("error", (err) => this.logError(err));
    this.subscriber.on("message", (_channel, text: string) => this.onCancel(text));
    await this.subscriber.subscribe(cancelChannel(keyPrefix));
    for (const actionType of this.options.actions) {
      const worker = new Worker(queueName(actionType), (job, token, signal) => this.process(job, token, signal), {
        connection: redisOptionsFromUrl(redisUrl, "blocking"),
        prefix: bullPrefix(keyPrefix),
        concurrency,
        lockDuration: lockSeconds * 1000,
        stalledInterval: (stalledCheckSeconds ?? lockSeconds) * 1000,
        maxStalledCount: 1,
        ...(name ? { name } : {}),
      });
      worker.on("error", (err) => this.logError(err));
      this.workers.push(worker);
    }
    await Promise.all(this.workers.map((w) => w.waitUntilReady()));
  }

  /**
   * Stop taking jobs; give the attempts in hand `graceMs` to finish, then abort them and hand their jobs back to
   * the queue (another worker runs them again: at least once); then disconnect.
   */
  async close(graceMs: number): Promise<void> {
    const closing = Promise.all(this.workers.map((w) => w.close()));
    const timer = setTimeout(() => {
      this.handingBack = true;
      for (const w of this.workers) w.cancelAllJobs("the worker is shutting down");
    }, graceMs);
    try {
      await closing;
    } finally {
      clearTimeout(timer);
    }
    await Promise.all([this.subscriber?.quit().catch(() => undefined), this.client?.quit().catch(() => undefined)]);
  }

  private async process(job: Job, token: string | undefined, signal: AbortSignal | undefined): Promise<JobOutcome> {
    const startedAt = Date.now();
    const jobId = job.id ?? "";
    const parsed = JobAttempt.safeParse(job.data);
    if (!parsed.success) {
      const error = new WorkflowError(
        ErrorCode.Internal,
        `Job ${jobId} does not hold a task attempt (${parsed.error.issues[0]?.message}).`,
      );
      return this.ended(jobId, job.name as ActionType, { ok: false, error: error.toJSON(), startedAt, endedAt: Date.now() });
    }
    const attempt = parsed.data;
    const span = this.deps.telemetry?.startWorkerAttempt(attempt, {
      "messaging.destination.name": queueName(attempt.actionType),
      "messaging.message.id": jobId,
      ...(this.options.name ? { "worker.name": this.options.name } : {}),
    });
    this.running++;
    let outcome: JobOutcome | undefined;
    try {
      outcome = await this.runAttempt(job, token, signal, span?.carrier ? { ...attempt, trace: span.carrier } : attempt, startedAt);
      return outcome;
    } finally {
      this.running--;
      // No outcome: the job went back to the queue (shutdown), to run again elsewhere.
      const handedBack = { ok: false, error: new CancelledError("handed back to the queue").toJSON(), startedAt, endedAt: Date.now() };
      span?.end(outcomeOf(attempt, outcome ?? handedBack));
    }
  }

  private async runAttempt(
    job: Job,
    token: string | undefined,
    signal: AbortSignal | undefined,
    attempt: TaskAttempt,
    startedAt: number,
  ): Promise<JobOutcome> {
    const jobId = job.id ?? "";
    // Cancelled while no worker held it (its worker died): end it without running. Only a job run before can have
    // been cancelled that way (a waiting one is removed instead), so a first run costs no extra round trip.
    const redelivered = job.attemptsStarted > 1 || job.stalledCounter > 0;
    const cancelled = redelivered ? await this.client?.get(cancelMarkerKey(this.options.keyPrefix, jobId)) : null;
    if (cancelled != null) {
      const error = new CancelledError(cancelled).toJSON();
      return this.ended(jobId, attempt.actionType, { ok: false, error, startedAt, endedAt: Date.now() });
    }
    const stop = signal ?? new AbortController().signal;
    try {
      const result = await this.deps.run({ ...attempt, safety: narrowSafety(attempt.safety, this.deps.safety) }, stop);
      return this.ended(jobId, attempt.actionType, { ok: true, result, startedAt, endedAt: Date.now() });
    } catch (err) {
      if (stop.aborted && this.handingBack && token) {
        await job.moveToWait(token);
        throw new WaitingError();
      }
      const error = stop.aborted ? new CancelledError(String(stop.reason ?? "cancelled")) : ensureWorkflowError(err);
      return this.ended(jobId, attempt.actionType, { ok: false, error: error.toJSON(), startedAt, endedAt: Date.now() });
    }
  }

  private ended(jobId: string, actionType: ActionType, outcome: JobOutcome): JobOutcome {
    const durationMs = outcome.endedAt - outcome.startedAt;
    this.deps.onJob?.({ jobId, actionType, ok: outcome.ok, ...(outcome.error ? { code: outcome.error.code } : {}), durationMs });
    return this.deps.scrub(outcome);
  }

  private onCancel(text: string): void {
    let request: { jobId?: unknown; reason?: unknown };
    try {
      request = JSON.parse(text) as typeof request;
    } catch {
      return;
    }
    if (typeof request.jobId !== "string") return;
    const reason = typeof request.reason === "string" ? request.reason : "cancelled";
    for (const w of this.workers) w.cancelJob(request.jobId, reason);
  }

  private lastError: string | undefined;
  private logError(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (message === this.lastError) return;
    this.lastError = message;
    this.deps.logger.warn({ err: message }, "worker: Redis error; jobs wait for it to come back");
  }
}
