import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { WorkflowEvent } from "../model/events.js";
import type { QueueMetrics } from "../model/executor.js";
import type { MetricsSink, RunFinished } from "../model/telemetry.js";
import { guardOf } from "./refusals.js";

/** Task durations: from a transform (ms) to a long poll (minutes). */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const LEASE_CODES: ReadonlySet<string> = new Set(["RUN_BUSY", "LEASE_LOST"]);

/** Where the queue gauges read BullMQ's counts (`engine.queueMetrics()`; undefined when tasks run in process). */
export type QueueSource = () => Promise<QueueMetrics[] | undefined>;

/**
 * The service's Prometheus metrics (`GET /metrics` on `serve`), one registry per service (never prom-client's
 * global one, so two services in a process do not mix): runs, attempts, durations, LLM use, plan cache, lease
 * conflicts, refusals by guard, the task queues, and Node's default process metrics.
 */
export class ServiceMetrics implements MetricsSink {
  readonly registry = new Registry();
  private readonly runsStarted: Counter;
  private readonly runsFinished: Counter<"status">;
  private readonly attempts: Counter<"action_type" | "outcome" | "code">;
  private readonly durations: Histogram<"action_type" | "outcome">;
  private readonly retries: Counter;
  private readonly skipped: Counter;
  private readonly llmCalls: Counter;
  private readonly llmTokens: Counter;
  private readonly planCacheHits: Counter;
  private readonly leaseConflicts: Counter<"code">;
  private readonly refusals: Counter<"guard" | "code" | "stage">;

  constructor(options: { queues?: QueueSource; processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
      new Counter<L>({ name, help, labelNames, registers });
    this.runsStarted = counter("workflow_runs_started_total", "Drives of a run started (new runs, resumes, approvals, rollbacks)");
    this.runsFinished = counter("workflow_runs_finished_total", "Drives of a run ended, by the status the run was left in", ["status"]);
    this.attempts = counter("workflow_task_attempts_total", "Task attempts ended, by action type and outcome", [
      "action_type",
      "outcome",
      "code",
    ]);
    this.durations = new Histogram({
      name: "workflow_task_duration_seconds",
      help: "How long task attempts ran, by action type and outcome",
      labelNames: ["action_type", "outcome"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.retries = counter("workflow_task_retries_total", "Retries scheduled by the failure policy");
    this.skipped = counter("workflow_tasks_skipped_total", "Tasks skipped (a failure under on_failure skip, and their dependents)");
    this.llmCalls = counter("workflow_llm_calls_total", "LLM calls (planning and failure advice)");
    this.llmTokens = counter("workflow_llm_tokens_total", "LLM tokens, prompt and completion");
    this.planCacheHits = counter("workflow_plan_cache_hits_total", "New runs whose plan came from the plan cache");
    this.leaseConflicts = counter(
      "workflow_lease_conflicts_total",
      "Run operations refused or stopped by another holder of the run's lease",
      ["code"],
    );
    this.refusals = counter("workflow_refusals_total", "Refusals by guard: at preflight (the plan) or in an attempt", [
      "guard",
      "code",
      "stage",
    ]);
    if (options.queues) queueGauges(this.registry, options.queues);
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  observe(event: WorkflowEvent): void {
    switch (event.type) {
      case "run_started":
        this.runsStarted.inc();
        return;
      case "task_completed":
      case "task_failed":
        this.attemptEnded(event.action_type ?? "unknown", event.error?.code, event.duration_ms ?? 0);
        return;
      case "task_retry":
        this.retries.inc();
        return;
      case "task_skipped":
        this.skipped.inc();
        return;
      default:
        return;
    }
  }

  runFinished(run: RunFinished): void {
    this.runsFinished.inc({ status: run.status });
    if (run.llmCalls > 0) this.llmCalls.inc(run.llmCalls);
    if (run.llmTokens > 0) this.llmTokens.inc(run.llmTokens);
    if (run.planCacheHit) this.planCacheHits.inc();
  }

  operationFailed(error: unknown): void {
    const { code, details } = (error ?? {}) as { code?: unknown; details?: { refusals?: { code?: string }[] } };
    if (typeof code !== "string") return;
    if (LEASE_CODES.has(code)) this.leaseConflicts.inc({ code });
    if (code !== "PLAN_REFUSED") return;
    for (const r of details?.refusals ?? []) {
      const guard = guardOf(r.code);
      if (guard && r.code) this.refusals.inc({ guard, code: r.code, stage: "preflight" });
    }
  }

  /** The metrics as Prometheus text. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private attemptEnded(actionType: string, code: string | undefined, durationMs: number): void {
    const outcome = code === undefined ? "completed" : code === "CANCELLED" ? "cancelled" : "failed";
    this.attempts.inc({ action_type: actionType, outcome, code: code ?? "" });
    this.durations.observe({ action_type: actionType, outcome }, durationMs / 1000);
    const guard = guardOf(code);
    if (guard && code) this.refusals.inc({ guard, code, stage: "attempt" });
  }
}

/** Gauges of the task queues, read from BullMQ when Prometheus scrapes (nothing is polled in between). */
export function queueGauges(registry: Registry, source: QueueSource): void {
  let latest: Promise<QueueMetrics[] | undefined> | undefined;
  // One read of the queues per scrape, shared by both gauges.
  const read = () => {
    latest ??= source()
      .catch(() => undefined)
      .finally(() => {
        setImmediate(() => {
          latest = undefined;
        });
      });
    return latest;
  };
  new Gauge({
    name: "workflow_queue_jobs",
    help: "Jobs in each task queue by state (BullMQ's counts)",
    labelNames: ["queue", "action_type", "state"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const q of (await read()) ?? []) {
        for (const state of ["waiting", "active", "delayed", "failed", "completed"] as const) {
          this.set({ queue: q.queue, action_type: q.actionType, state }, q[state]);
        }
      }
    },
  });
  new Gauge({
    name: "workflow_queue_workers",
    help: "Workers connected to each task queue",
    labelNames: ["queue", "action_type"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const q of (await read()) ?? []) this.set({ queue: q.queue, action_type: q.actionType }, q.workers);
    },
  });
}
