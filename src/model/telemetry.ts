import type { AttemptOutcome, TaskAttempt } from "./executor.js";
import type { WorkflowEvent } from "./events.js";
import type { RunStatus } from "./task-state.js";
import type { TraceCarrier } from "./trace-carrier.js";

export type { TraceCarrier };

/**
 * The observability ports (ARCHITECTURE.md, "Observability"). Tracing: one trace per drive of a run (start, resume,
 * approval), its attempts as child spans, carried across processes as a W3C `traceparent` (TraceCarrier) in the
 * job data and in api_call's requests. The engine holds no Telemetry when tracing is off: nothing is called then.
 */

/** What a run's root span says when it starts (values pass the engine's secret scrubber). */
export interface RunTraceStart {
  runId: string;
  /** The goal (shortened and hashed in the span), when the run has one. */
  goal?: string;
  /** Why the run is driven: "run", "resumed", "approved", "rollback"... */
  detail: string;
  /** The first trace of this run (kept in its context): a resumed run's trace links to it. */
  first?: TraceCarrier;
}

export interface Telemetry {
  /** Open a run's root span. */
  startRun(start: RunTraceStart): RunTrace;
  /** A span for an attempt run on a worker, continuing the trace its job carries (`attempt.trace`). */
  startWorkerAttempt(attempt: TaskAttempt, attributes: Record<string, string>): AttemptTrace;
}

/** One drive of a run, as a root span. */
export interface RunTrace {
  /** The root span's context, stored in the run's context so that a resume links to it. */
  readonly carrier: TraceCarrier | undefined;
  /** Run `work` as a child span (planning); the span ends when it settles, with its error if it throws. */
  child<T>(name: string, work: (span: SpanAttributes) => Promise<T>): Promise<T>;
  /** Set attributes on the root span (planner, task count). */
  set(attributes: Record<string, string | number | boolean>): void;
  /** A child span per attempt, from launch to outcome. */
  startAttempt(attempt: TaskAttempt): AttemptTrace;
  /** A run event (retry scheduled, task skipped, approval asked...) as a span event on the root. */
  observe(event: WorkflowEvent): void;
  /** End the root span with the run's status, or the error that stopped it. Only the first call counts. */
  end(status: RunStatus | undefined, error?: unknown): void;
}

export interface SpanAttributes {
  set(attributes: Record<string, string | number | boolean>): void;
}

/** One attempt's span. */
export interface AttemptTrace {
  /** What the attempt carries to its worker and its HTTP calls. */
  readonly carrier: TraceCarrier | undefined;
  end(outcome: AttemptOutcome): void;
}

/** A finished drive of a run, as the metrics count it. */
export interface RunFinished {
  status: RunStatus;
  llmCalls: number;
  llmTokens: number;
  planCacheHit: boolean;
}

/**
 * The service metrics port (Prometheus on `serve` and `worker`): the engine reports what it sees; the
 * implementation (src/telemetry/service-metrics.ts) counts it.
 */
export interface MetricsSink {
  /** Every event of every run this engine drives (runs started/finished, attempts, refusals). */
  observe(event: WorkflowEvent): void;
  /** A drive of a run ended (LLM use, plan cache). */
  runFinished(run: RunFinished): void;
  /** An engine operation failed before or while holding a run (RUN_BUSY, LEASE_LOST, PLAN_REFUSED...). */
  operationFailed(error: unknown): void;
}
