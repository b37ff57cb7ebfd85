import { createHash } from "node:crypto";
import { type Attributes, type Span, SpanKind, SpanStatusCode, type Tracer, type TracerProvider, trace } from "@opentelemetry/api";
import type { WorkflowEvent } from "../model/events.js";
import type { AttemptOutcome, TaskAttempt } from "../model/executor.js";
import type { AttemptTrace, RunTrace, RunTraceStart, SpanAttributes, Telemetry, TraceCarrier } from "../model/telemetry.js";
import type { RunStatus } from "../model/task-state.js";
import { contextOf, spanContextOf, toCarrier } from "./traceparent.js";

/** The instrumentation scope of every span. */
const TRACER_NAME = "agentic-workflow-engine";
/** How much of a goal a root span shows (the hash names the whole goal). */
const GOAL_CHARS = 120;
const FAILED: ReadonlySet<RunStatus> = new Set(["failed", "rollback_failed"]);

type Scrub = (text: string) => string;

/**
 * Telemetry over the OpenTelemetry API: spans go to whatever tracer provider is registered (the one
 * `startTracing` sets up from the OTEL_* variables, or the application's own). Parents are passed explicitly
 * (no context manager needed), and every string attribute passes `scrub` (the engine's SecretScrubber).
 */
export class OtelTelemetry implements Telemetry {
  private readonly tracer: Tracer;

  constructor(
    private readonly scrub: Scrub,
    provider: TracerProvider = trace.getTracerProvider(),
  ) {
    this.tracer = provider.getTracer(TRACER_NAME);
  }

  startRun(start: RunTraceStart): RunTrace {
    const first = spanContextOf(start.first);
    const attributes: Attributes = { "workflow.run_id": start.runId, "workflow.detail": start.detail };
    if (start.goal !== undefined) {
      attributes["workflow.goal"] = shorten(this.scrub(start.goal));
      attributes["workflow.goal_hash"] = createHash("sha256").update(start.goal).digest("hex").slice(0, 16);
    }
    const span = this.tracer.startSpan(
      "workflow.run",
      { kind: SpanKind.INTERNAL, attributes: this.clean(attributes), root: true, ...(first ? { links: [{ context: first }] } : {}) },
      contextOf(undefined),
    );
    return new OtelRunTrace(this.tracer, span, start.runId, (a) => this.clean(a));
  }

  startWorkerAttempt(attempt: TaskAttempt, attributes: Record<string, string>): AttemptTrace {
    const span = this.tracer.startSpan(
      `worker ${attempt.actionType}`,
      { kind: SpanKind.CONSUMER, attributes: this.clean({ ...attemptAttributes(attempt), "messaging.system": "bullmq", ...attributes }) },
      contextOf(attempt.trace),
    );
    return new OtelAttemptTrace(span);
  }

  private clean(attributes: Attributes): Attributes {
    const out: Attributes = {};
    for (const [k, v] of Object.entries(attributes)) out[k] = typeof v === "string" ? this.scrub(v) : v;
    return out;
  }
}

class OtelRunTrace implements RunTrace {
  readonly carrier: TraceCarrier | undefined;
  private ended = false;

  constructor(
    private readonly tracer: Tracer,
    private readonly span: Span,
    private readonly runId: string,
    private readonly clean: (a: Attributes) => Attributes,
  ) {
    this.carrier = toCarrier(span.spanContext());
  }

  async child<T>(name: string, work: (span: SpanAttributes) => Promise<T>): Promise<T> {
    const span = this.tracer.startSpan(name, { attributes: { "workflow.run_id": this.runId } }, contextOf(this.carrier));
    try {
      return await work({ set: (a) => span.setAttributes(this.clean(a)) });
    } catch (err) {
      failSpan(span, err, this.clean);
      throw err;
    } finally {
      span.end();
    }
  }

  set(attributes: Record<string, string | number | boolean>): void {
    this.span.setAttributes(this.clean(attributes));
  }

  startAttempt(attempt: TaskAttempt): AttemptTrace {
    const span = this.tracer.startSpan(
      `task ${attempt.actionType}`,
      { kind: SpanKind.INTERNAL, attributes: this.clean(attemptAttributes(attempt)) },
      contextOf(this.carrier),
    );
    return new OtelAttemptTrace(span);
  }

  observe(event: WorkflowEvent): void {
    const name = EVENT_NAMES[event.type];
    if (!name || this.ended) return;
    const attributes: Attributes = {};
    if (event.task_id !== undefined) attributes["task.id"] = event.task_id;
    if (event.attempt !== undefined) attributes["task.attempt"] = event.attempt;
    if (event.delay_ms !== undefined) attributes["retry.delay_ms"] = event.delay_ms;
    if (event.detail !== undefined) attributes["event.detail"] = shorten(event.detail);
    this.span.addEvent(name, this.clean(attributes));
  }

  end(status: RunStatus | undefined, error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    if (status) this.span.setAttribute("workflow.status", status);
    if (error !== undefined) failSpan(this.span, error, this.clean);
    else if (status && FAILED.has(status)) this.span.setStatus({ code: SpanStatusCode.ERROR, message: status });
    this.span.end();
  }
}

class OtelAttemptTrace implements AttemptTrace {
  readonly carrier: TraceCarrier | undefined;
  constructor(private readonly span: Span) {
    this.carrier = toCarrier(span.spanContext());
  }

  end(outcome: AttemptOutcome): void {
    const attributes: Attributes = {
      "task.status": outcome.ok ? "completed" : "failed",
      "task.duration_ms": outcome.endedAt - outcome.startedAt,
    };
    if (outcome.error) {
      attributes["error.code"] = outcome.error.code;
      attributes["error.retryable"] = outcome.error.retryable;
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error.code });
    }
    this.span.setAttributes(attributes);
    this.span.end();
  }
}

/** The run events shown on the root span (attempts are spans of their own). */
const EVENT_NAMES: Partial<Record<WorkflowEvent["type"], string>> = {
  plan_ready: "plan.ready",
  task_retry: "task.retry",
  task_modified: "task.modified",
  task_skipped: "task.skipped",
  approval_requested: "approval.requested",
  rollback_started: "rollback.started",
};

function attemptAttributes(attempt: TaskAttempt): Attributes {
  return {
    "workflow.run_id": attempt.runId,
    "task.id": attempt.taskId,
    "task.action_type": attempt.actionType,
    "task.attempt": attempt.attempt,
  };
}

/** An error's code (and its scrubbed message) on a span: the message may quote a config. */
function failSpan(span: Span, err: unknown, clean?: (a: Attributes) => Attributes): void {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  const scrubbed = clean ? String(clean({ m: message }).m) : "";
  span.setAttribute("error.code", typeof code === "string" ? code : "INTERNAL_ERROR");
  span.setStatus({ code: SpanStatusCode.ERROR, message: shorten(scrubbed || (typeof code === "string" ? code : "error")) });
}

function shorten(text: string): string {
  return text.length > GOAL_CHARS ? `${text.slice(0, GOAL_CHARS - 1)}…` : text;
}
