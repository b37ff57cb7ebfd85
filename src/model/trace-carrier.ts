/**
 * A span's W3C trace context as it travels with an attempt (job data, api_call's `traceparent` header) and in a
 * run's context (its first trace, which a resume links to).
 */
export interface TraceCarrier {
  /** `00-<trace id>-<span id>-<flags>`. */
  traceparent: string;
}
