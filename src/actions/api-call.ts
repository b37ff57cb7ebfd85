import axios, { AxiosHeaders, type AxiosResponse, isAxiosError } from "axios";
import { CancelledError, ErrorCode, WorkflowError } from "../errors.js";
import { ApiCallConfig, type ApiCallResult } from "./api-call.schema.js";
import { type Answer, pollUntil } from "./api-poll.js";
import type { ActionHandler } from "./handler.js";
import type { ActionContext } from "./types.js";

/** Defaults and bounds of the fields given in seconds, as in the schema (a `{{reference}}` is checked here). */
const SECONDS_FIELDS = {
  timeout: { fallback: 30, min: 0, max: 3600 },
  interval: { fallback: 1, min: 0.01, max: 3600 },
  deadline: { fallback: 300, min: 0, max: 86_400 },
} as const;
const MAX_CONTENT_BYTES = 50 * 1024 * 1024;
const EXCERPT_CHARS = 200;
/** Failures before or while talking to the server that another attempt may fix. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EPIPE",
  "ERR_NETWORK",
  "ERR_SOCKET_CONNECTION_TIMEOUT",
]);

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
      intervalMs: seconds("interval", config.interval) * 1000,
      deadlineMs: seconds("deadline", config.deadline) * 1000,
      target,
      signal: ctx.signal,
      logger: ctx.logger,
    });
  },
} satisfies ActionHandler<typeof ApiCallConfig, ApiCallResult>;

interface Target {
  method: string;
  url: string;
}

interface PreparedRequest {
  config: ApiCallConfig;
  url: URL;
  timeoutMs: number;
  target: Target;
}

function prepare(config: ApiCallConfig): PreparedRequest {
  const url = checkUrl(config.url);
  const timeoutMs = seconds("timeout", config.timeout) * 1000;
  return { config, url, timeoutMs, target: { method: config.method, url: displayUrl(url) } };
}

/** Make one request; any HTTP status is an answer, failures without a response throw. */
async function send(request: PreparedRequest, ctx: ActionContext, idempotencyKey: string): Promise<Answer> {
  const { config, url, timeoutMs, target } = request;
  // The deadline covers the whole exchange; axios' own timeout only watches an idle socket.
  const deadline = AbortSignal.timeout(timeoutMs);
  const started = performance.now();
  let response: AxiosResponse<string>;
  try {
    response = await axios.request<string>({
      method: config.method,
      url: url.href,
      headers: withIdempotencyKey(config.method, config.headers, idempotencyKey),
      params: config.params,
      data: config.body,
      timeout: timeoutMs,
      signal: AbortSignal.any([ctx.signal, deadline]),
      validateStatus: () => true,
      maxContentLength: MAX_CONTENT_BYTES,
      maxBodyLength: MAX_CONTENT_BYTES,
      responseType: "text",
      transformResponse: (data: unknown) => data,
      transitional: { clarifyTimeoutError: true },
    });
  } catch (err) {
    throw requestFailure(err, { ...target, timeoutMs, cancelled: ctx.signal.aborted, timedOut: deadline.aborted });
  }
  const ms = Math.round(performance.now() - started);
  ctx.logger.debug({ ...target, status: response.status, ms }, "api_call answered");
  return toAnswer(response, target);
}

/** Milliseconds to wait from a `Retry-After` header: delay-seconds or an HTTP date (past dates → 0). */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function checkUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw configInvalid(`url "${raw}" is not an absolute URL; give one like https://api.example.com/items`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw configInvalid(`url "${raw}" uses ${url.protocol}; only http: and https: URLs are allowed`);
  }
  return url;
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
function withIdempotencyKey(
  method: string,
  headers: Record<string, string> | undefined,
  key: string,
): Record<string, string> {
  const out = { ...headers };
  if (method === "GET" || Object.keys(out).some((h) => h.toLowerCase() === "idempotency-key")) return out;
  return { ...out, "Idempotency-Key": key };
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

/** 429 and 5xx are retryable (after `Retry-After` when given); other 4xx are not. */
function statusError(
  response: AxiosResponse<string>,
  target: Target,
  text: string,
  headers: Record<string, string>,
): WorkflowError {
  const { status, statusText } = response;
  const retryable = status === 429 || status >= 500;
  const excerpt = bodyExcerpt(text);
  const retryAfterMs = retryable ? parseRetryAfter(headers["retry-after"]) : undefined;
  const after = retryAfterMs === undefined ? "" : ` after ${retryAfterMs / 1000} s (Retry-After)`;
  const advice = retryable
    ? `The server is overloaded or failing; the request will be retried${after} if the task's retry policy allows.`
    : status === 401 || status === 403
      ? "Check the credentials (Authorization or API key headers)."
      : "Check the URL, method, parameters and body; retrying the same request will not help.";
  return new WorkflowError(
    ErrorCode.HttpStatus,
    `${target.method} ${target.url} answered ${status}${statusText ? ` ${statusText}` : ""}` +
      `${excerpt ? `: ${excerpt}` : ""}. ${advice}`,
    {
      retryable,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      details: { ...target, status, body_excerpt: excerpt },
    },
  );
}

/** Classify a request that produced no response: cancelled, timed out, or a network failure. */
function requestFailure(
  err: unknown,
  at: Target & { timeoutMs: number; cancelled: boolean; timedOut: boolean },
): WorkflowError {
  if (err instanceof WorkflowError) return err;
  const target = `${at.method} ${at.url}`;
  if (at.cancelled) return new CancelledError(`${target} was cancelled`);
  const code = isAxiosError(err) ? (err.code ?? "") : "";
  const reason = err instanceof Error ? err.message : String(err);
  const details = { method: at.method, url: at.url, code: code || undefined };
  if (at.timedOut || code === "ETIMEDOUT" || code === "ECONNABORTED") {
    return new WorkflowError(
      ErrorCode.HttpTimeout,
      `${target} did not answer within ${at.timeoutMs / 1000} s. ` +
        "The request will be retried if the retry policy allows; raise `timeout` (seconds) if the server is slow.",
      { retryable: true, cause: err, details },
    );
  }
  if (reason.includes("maxContentLength")) {
    return new WorkflowError(
      ErrorCode.Network,
      `${target}: the response is larger than 50 MB. Ask for less data (pagination, filters, fields).`,
      { retryable: false, cause: err, details },
    );
  }
  const retryable = NETWORK_CODES.has(code) || !code.startsWith("ERR_");
  return new WorkflowError(
    ErrorCode.Network,
    `${target} failed before any answer: ${reason}${code ? ` (${code})` : ""}. ` +
      (retryable
        ? "Check that the server is running and reachable (host, port, DNS); the request will be retried."
        : "Check the request (URL, redirects, headers)."),
    { retryable, cause: err, details },
  );
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
  const source = headers instanceof AxiosHeaders ? headers.toJSON() : ((headers ?? {}) as Record<string, unknown>);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined || value === null) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return out;
}

function bodyExcerpt(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS)}…` : flat;
}

/** The URL for messages and logs, without user:password. */
function displayUrl(url: URL): string {
  if (!url.username && !url.password) return url.href;
  const copy = new URL(url.href);
  copy.username = "";
  copy.password = "";
  return copy.href;
}

function configInvalid(problem: string): WorkflowError {
  return new WorkflowError(ErrorCode.ActionConfigInvalid, `api_call: ${problem}.`, { retryable: false });
}
