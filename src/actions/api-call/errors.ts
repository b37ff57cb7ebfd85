import { constants as bufferConstants } from "node:buffer";
import type { AxiosError, AxiosResponse } from "axios";
import { CancelledError, ErrorCode, WorkflowError } from "../../model/errors.js";
import { MAX_RETRY_DELAY_MS } from "../../model/plan-schema.js";

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

/** The request an error is about, as shown in messages (credentials removed). */
export interface Target {
  method: string;
  url: string;
}

/** Where a request that produced no response stood when it failed. */
export interface FailureContext extends Target {
  timeoutMs: number;
  cancelled: boolean;
  timedOut: boolean;
  /** The response size cap (limits.maxResponseBytes). */
  maxResponseBytes: number;
}

/** Milliseconds to wait from a `Retry-After` header: delay-seconds or an HTTP date (past dates → 0). */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** 429 and 5xx are retryable (after `Retry-After` when given); other 4xx are not. */
export function statusError(response: AxiosResponse<string>, target: Target, text: string, headers: Record<string, string>): WorkflowError {
  const { status, statusText } = response;
  const retryable = status === 429 || status >= 500;
  const excerpt = bodyExcerpt(text);
  const askedMs = retryable ? parseRetryAfter(headers["retry-after"]) : undefined;
  // The wait is capped (the failure policy caps it again): days of Retry-After would be a timer Node cannot schedule.
  const retryAfterMs = askedMs === undefined ? undefined : Math.min(askedMs, MAX_RETRY_DELAY_MS);
  const after =
    askedMs === undefined
      ? ""
      : askedMs > MAX_RETRY_DELAY_MS
        ? ` after ${MAX_RETRY_DELAY_MS / 1000} s (its Retry-After asks for ${Math.round(askedMs / 1000)} s; the engine waits at most ${MAX_RETRY_DELAY_MS / 1000} s)`
        : ` after ${askedMs / 1000} s (Retry-After)`;
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
      details: { ...target, status, body_excerpt: excerpt, ...(askedMs === undefined ? {} : { retry_after_asked_ms: askedMs }) },
    },
  );
}

/**
 * Classify a request that produced no response: refused by a guardrail (the WorkflowError thrown by the network
 * guard, found in the cause chain axios and follow-redirects wrap it in), cancelled, timed out, too large, or a
 * network failure.
 */
export function requestFailure(err: unknown, at: FailureContext): WorkflowError {
  const own = ownError(err);
  if (own) return own;
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
  if (reason.includes("maxContentLength")) return tooLarge(target, at, err);
  if (code === "ERR_STRING_TOO_LONG" || /Cannot create a string longer than|Invalid string length/.test(reason)) {
    return tooLargeToDecode(target, at, err);
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

function tooLarge(target: string, at: FailureContext, err: unknown): WorkflowError {
  const limit = at.maxResponseBytes;
  return new WorkflowError(
    ErrorCode.ResponseTooLarge,
    `${target}: the response is larger than the limit of ${limit} bytes (${formatBytes(limit)}). ` +
      "Ask for less data (pagination, filters, fields), or raise the limit (limits.maxResponseBytes).",
    { retryable: false, cause: err, details: { method: at.method, url: at.url, limit, setting: "limits.maxResponseBytes" } },
  );
}

/**
 * The whole body arrived, within limits.maxResponseBytes, but is too large to decode into one string (V8's limit,
 * about 512 MiB of text): the limit let it through, and memory, not the network, stopped it.
 */
function tooLargeToDecode(target: string, at: FailureContext, err: unknown): WorkflowError {
  const limit = at.maxResponseBytes;
  const declared = Number((isAxiosError(err) ? err.response?.headers?.["content-length"] : undefined) ?? Number.NaN);
  const size = Number.isFinite(declared)
    ? `${declared} bytes (${formatBytes(declared)})`
    : `more than ${formatBytes(bufferConstants.MAX_STRING_LENGTH)}`;
  return new WorkflowError(
    ErrorCode.ResponseTooLarge,
    `${target}: the response body, ${size}, arrived but is too large to decode: a body is held in memory as one ` +
      `string, and Node's strings hold at most ${bufferConstants.MAX_STRING_LENGTH} characters (about 512 MiB). The limit ` +
      `(limits.maxResponseBytes) is ${limit} bytes (${formatBytes(limit)}). Ask for less data ` +
      "(pagination, filters, fields), or lower the limit so that such a response is refused as it arrives.",
    {
      retryable: false,
      cause: err,
      details: {
        method: at.method,
        url: at.url,
        limit,
        setting: "limits.maxResponseBytes",
        max_string_length: bufferConstants.MAX_STRING_LENGTH,
        ...(Number.isFinite(declared) ? { bytes: declared } : {}),
      },
    },
  );
}

/** A WorkflowError anywhere in the cause chain (a few levels: axios wraps follow-redirects, which wraps ours). */
function ownError(err: unknown): WorkflowError | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current instanceof WorkflowError) return current;
    current = current.cause;
  }
  return undefined;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 2) return `${Math.round((bytes / 1024 ** 2) * 10) / 10} MiB`;
  if (bytes >= 1024) return `${Math.round((bytes / 1024) * 10) / 10} KiB`;
  return `${bytes} B`;
}

function bodyExcerpt(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS)}…` : flat;
}

/** axios' own isAxiosError test, without loading axios (the api_call action loads it on its first request). */
function isAxiosError(err: unknown): err is AxiosError {
  return typeof err === "object" && err !== null && (err as { isAxiosError?: unknown }).isAxiosError === true;
}
