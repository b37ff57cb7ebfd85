import type { AxiosResponse } from "axios";
import { CancelledError, ErrorCode, WorkflowError } from "../../model/errors.js";
import { openNetworkGuard } from "../../safety/network/guard.js";
import { withoutCredentials } from "../../safety/network/refusal.js";
import { requestFailure, statusError, type Target } from "./errors.js";
import { ApiCallConfig, type ApiCallResult } from "../../model/action-config/api-call.js";
import { type Answer, pollUntil } from "./poll.js";
import { evaluationBounds } from "../transform-data/run.js";
import type { ActionHandler } from "../handler.js";
import type { ActionContext } from "../types.js";

/** Defaults and bounds of the fields given in seconds, as in the schema (a `{{reference}}` is checked here). */
const SECONDS_FIELDS = {
  timeout: { fallback: 30, min: 0, max: 3600 },
  interval: { fallback: 1, min: 0.01, max: 3600 },
  deadline: { fallback: 300, min: 0, max: 86_400 },
} as const;
/** Bytes of a request body (responses are capped by limits.maxResponseBytes). */
const MAX_BODY_BYTES = 50 * 1024 * 1024;

/**
 * `api_call`: one HTTP request; the status decides between a result and a (maybe retryable) error.
 * With `until`, the request is repeated until the JSONata condition holds on the response (see api-poll.ts).
 */
export const apiCall = {
  type: "api_call",
  schema: ApiCallConfig,
  async run(config, ctx): Promise<ApiCallResult> {
    const request = prepare(config);
    const { target } = request;
    if (ctx.signal.aborted) throw new CancelledError(`${target.method} ${target.url} was cancelled`);
    const key = `${ctx.runId}:${ctx.taskId}`;
    if (config.until === undefined) {
      const answer = await send(request, ctx, key);
      if (answer.error) throw answer.error;
      return answer.result;
    }
    // Each poll is a new read: a server that caches by Idempotency-Key must not replay the first answer.
    return pollUntil((poll) => send(request, ctx, `${key}:${ctx.attempt}.${poll}`), {
      until: config.until,
      bounds: evaluationBounds(ctx.safety.limits, ctx.signal),
      intervalMs: seconds("interval", config.interval) * 1000,
      deadlineMs: seconds("deadline", config.deadline) * 1000,
      target,
      signal: ctx.signal,
      logger: ctx.logger,
    });
  },
} satisfies ActionHandler<typeof ApiCallConfig, ApiCallResult>;

export { parseRetryAfter } from "./errors.js";

interface PreparedRequest {
  config: ApiCallConfig;
  url: URL;
  timeoutMs: number;
  target: Target;
}

function prepare(config: ApiCallConfig): PreparedRequest {
  const url = checkUrl(config.url);
  const timeoutMs = seconds("timeout", config.timeout) * 1000;
  return { config, url, timeoutMs, target: { method: config.method, url: withoutCredentials(url) } };
}

/**
 * Make one request through the network guard (its agents live for this request only); any HTTP status is an
 * answer, failures without a response throw.
 */
async function send(request: PreparedRequest, ctx: ActionContext, idempotencyKey: string): Promise<Answer> {
  const { config, url, timeoutMs, target } = request;
  const { maxResponseBytes } = ctx.safety.limits;
  // The deadline covers the whole exchange; axios' own timeout only watches an idle socket.
  const deadline = AbortSignal.timeout(timeoutMs);
  const started = performance.now();
  const guard = openNetworkGuard({ trustedHosts: ctx.safety.trustedHosts, ...(ctx.resolver ? { resolver: ctx.resolver } : {}) });
  let response: AxiosResponse<string>;
  try {
    // Loaded on the first request, not with the engine: a run without api_call never pays for axios.
    const { default: axios } = await import("axios");
    response = await axios.request<string>({
      ...guard.requestOptions(url),
      method: config.method,
      url: url.href,
      headers: withTraceparent(withIdempotencyKey(config.method, config.headers, idempotencyKey), ctx.trace),
      params: config.params,
      data: config.body,
      timeout: timeoutMs,
      signal: AbortSignal.any([ctx.signal, deadline]),
      validateStatus: () => true,
      maxContentLength: maxResponseBytes,
      maxBodyLength: MAX_BODY_BYTES,
      responseType: "text",
      transformResponse: (data: unknown) => data,
      transitional: { clarifyTimeoutError: true },
    });
  } catch (err) {
    const at = { ...target, timeoutMs, maxResponseBytes, cancelled: ctx.signal.aborted, timedOut: deadline.aborted };
    throw requestFailure(err, at);
  } finally {
    guard.close();
  }
  const ms = Math.round(performance.now() - started);
  ctx.logger.debug({ ...target, status: response.status, ms }, "api_call answered");
  return toAnswer(response, target);
}

/** An absolute URL; its scheme and host are the network guard's to judge (NETWORK_REFUSED). */
function checkUrl(raw: string): URL {
  try {
    return new URL(raw);
  } catch {
    throw configInvalid(`url "${raw}" is not an absolute URL; give one like https://api.example.com/items`);
  }
}

/** The schema allows a `{{reference}}`; by run time it must be a number of seconds within the field's bounds. */
function seconds(field: keyof typeof SECONDS_FIELDS, value: number | string | undefined): number {
  const { fallback, min, max } = SECONDS_FIELDS[field];
  if (value === undefined) return fallback;
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isFinite(n) || n <= 0 || n < min || n > max) {
    const bounds = `${min > 0 ? `from ${min} ` : ""}up to ${max}`;
    throw configInvalid(`${field} must be a positive number of seconds ${bounds}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** Non-GET requests carry `Idempotency-Key` (runId:taskId, stable across retries; one per poll) unless one is set. */
function withIdempotencyKey(method: string, headers: Record<string, string> | undefined, key: string): Record<string, string> {
  const out = { ...headers };
  if (method === "GET" || Object.keys(out).some((h) => h.toLowerCase() === "idempotency-key")) return out;
  return { ...out, "Idempotency-Key": key };
}

/** The attempt's span as W3C `traceparent` (tracing on), unless the plan sets one: the called service joins the run's trace. */
function withTraceparent(headers: Record<string, string>, trace: ActionContext["trace"]): Record<string, string> {
  if (!trace || Object.keys(headers).some((h) => h.toLowerCase() === "traceparent")) return headers;
  return { ...headers, traceparent: trace.traceparent };
}

/** Every status becomes a result (so `until` can look at it); 4xx, 429 and 5xx also carry their error. */
function toAnswer(response: AxiosResponse<string>, target: Target): Answer {
  const headers = plainHeaders(response.headers);
  const text = typeof response.data === "string" ? response.data : "";
  const { status } = response;
  const result = { status, headers, data: parseBody(text, headers["content-type"]) };
  if (status >= 200 && status < 400) return { result };
  return { result, error: statusError(response, target, text, headers) };
}

/** JSON bodies are parsed (a body that is not valid JSON stays a string); an empty body is null. */
function parseBody(text: string, contentType: string | undefined): unknown {
  if (text === "") return null;
  if (!contentType || !/[/+]json\b/i.test(contentType)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function plainHeaders(headers: unknown): Record<string, string> {
  // axios answers with its AxiosHeaders (toJSON gives the plain object); anything else is taken as it is.
  const source = hasToJson(headers) ? headers.toJSON() : ((headers ?? {}) as Record<string, unknown>);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined || value === null) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return out;
}

function hasToJson(value: unknown): value is { toJSON(): Record<string, unknown> } {
  return typeof value === "object" && value !== null && typeof (value as { toJSON?: unknown }).toJSON === "function";
}

function configInvalid(problem: string): WorkflowError {
  return new WorkflowError(ErrorCode.ActionConfigInvalid, `api_call: ${problem}.`, { retryable: false });
}
