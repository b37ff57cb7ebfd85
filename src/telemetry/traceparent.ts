import { type Context, ROOT_CONTEXT, type SpanContext, TraceFlags, trace } from "@opentelemetry/api";
import type { TraceCarrier } from "../model/telemetry.js";

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

/**
 * W3C trace context written and read by hand (version 00): the carrier travels in job data, which a worker reads
 * back with zod, so it must not depend on which propagator a process has registered (none without the SDK).
 */
export function toCarrier(span: SpanContext): TraceCarrier | undefined {
  if (!trace.isSpanContextValid(span)) return undefined;
  const flags = (span.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, "0");
  return { traceparent: `00-${span.traceId}-${span.spanId}-${flags}` };
}

/** The span context a carrier names (remote), or undefined when it is malformed. */
export function spanContextOf(carrier: TraceCarrier | undefined): SpanContext | undefined {
  const m = carrier ? TRACEPARENT.exec(carrier.traceparent) : null;
  if (!m?.[1] || !m[2] || !m[3] || m[1] === ZERO_TRACE || m[2] === ZERO_SPAN) return undefined;
  return { traceId: m[1], spanId: m[2], traceFlags: Number.parseInt(m[3], 16) & TraceFlags.SAMPLED, isRemote: true };
}

/** A context whose parent is the carrier's span (the root context when there is none). */
export function contextOf(carrier: TraceCarrier | undefined): Context {
  const span = spanContextOf(carrier);
  return span ? trace.setSpanContext(ROOT_CONTEXT, span) : ROOT_CONTEXT;
}

/** `{trace_id, span_id}` for a log line, from a carrier. */
export function logFields(carrier: TraceCarrier | undefined): { trace_id: string; span_id: string } | undefined {
  const span = spanContextOf(carrier);
  return span ? { trace_id: span.traceId, span_id: span.spanId } : undefined;
}
