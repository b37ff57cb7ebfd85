import type { Logger } from "../../../utils/logger.js";
import { CancelledError, ErrorCode, WorkflowError } from "../../model/errors.js";
import type { ApiCallResult } from "../../model/action-config/api-call.js";
import { type EvaluationBounds, evaluateExpression } from "../transform-data/evaluate.js";
import { sleep } from "../wait/run.js";

const EXCERPT_CHARS = 200;

/** One request's outcome: the response as a result, and the error a plain call would throw for it (if any). */
export interface Answer {
  result: ApiCallResult;
  error?: WorkflowError;
}

export interface PollOptions {
  /** JSONata condition evaluated against `{status, headers, data}`. */
  until: string;
  /** The run's bounds on a JSONata evaluation (time, memory): a hostile condition ends as TRANSFORM_LIMIT. */
  bounds: EvaluationBounds;
  intervalMs: number;
  deadlineMs: number;
  target: { method: string; url: string };
  signal: AbortSignal;
  logger: Logger;
}

/**
 * Repeat `send` (given the 1-based poll number) until `until` holds, waiting `intervalMs` between polls.
 * Throws POLL_DEADLINE when the next poll would start after `deadlineMs`, counted from the first request.
 */
export async function pollUntil(send: (poll: number) => Promise<Answer>, opts: PollOptions): Promise<ApiCallResult & { polls: number }> {
  const started = performance.now();
  for (let polls = 1; ; polls++) {
    const answer = await send(polls);
    const done = await accepts(answer, opts);
    opts.logger.debug({ ...opts.target, poll: polls, status: answer.result.status, done }, "api_call polled");
    if (done) return { ...answer.result, polls };
    // A 4xx the condition does not expect fails as it would without `until`.
    if (answer.error) throw answer.error;
    const elapsedMs = performance.now() - started;
    // Fail now rather than sleep past the deadline only to fail then.
    if (elapsedMs + opts.intervalMs > opts.deadlineMs) throw deadlineError(opts, polls, answer.result, elapsedMs);
    await pause(opts, polls);
  }
}

/** JSONata's `$boolean` rules: empty strings, arrays and objects, 0, null and functions are false. */
export function isTruthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(isTruthy);
  if (value === null || value === undefined || typeof value === "function") return false;
  if (typeof value === "object") return Object.keys(value).length > 0;
  return Boolean(value);
}

async function accepts(answer: Answer, opts: PollOptions): Promise<boolean> {
  // 429 and 5xx describe the server, not the job: they throw (retryable) exactly as a plain call does.
  if (answer.error?.retryable) throw answer.error;
  try {
    return isTruthy(await evaluateExpression(opts.until, answer.result, opts.bounds));
  } catch (err) {
    if (err instanceof WorkflowError && err.code !== ErrorCode.Transform) throw err;
    throw untilFailed(opts, answer.result.status, err);
  }
}

async function pause(opts: PollOptions, polls: number): Promise<void> {
  try {
    await sleep(opts.intervalMs, opts.signal);
  } catch (err) {
    if (!(err instanceof CancelledError)) throw err;
    throw new CancelledError(`${opts.target.method} ${opts.target.url}: polling was cancelled after ${plural(polls)}`);
  }
}

function deadlineError(opts: PollOptions, polls: number, last: ApiCallResult, elapsedMs: number): WorkflowError {
  const { method, url } = opts.target;
  const seconds = (ms: number) => `${Math.round(ms) / 1000} s`;
  const data = excerpt(last.data);
  return new WorkflowError(
    ErrorCode.PollDeadline,
    `${method} ${url}: the condition until ${JSON.stringify(opts.until)} was still false after ${plural(polls)} ` +
      `in ${seconds(elapsedMs)} (deadline ${seconds(opts.deadlineMs)}, interval ${seconds(opts.intervalMs)}); ` +
      `the last response was status ${last.status}${data ? `: ${data}` : ""}. ` +
      "Raise `deadline` (seconds) if the job needs longer, or check that the condition can become true for " +
      "this response (it sees {status, headers, data}).",
    {
      retryable: false,
      details: {
        method,
        url,
        until: opts.until,
        polls,
        last_status: last.status,
        elapsed_ms: Math.round(elapsedMs),
        deadline_s: opts.deadlineMs / 1000,
      },
    },
  );
}

function untilFailed(opts: PollOptions, status: number, err: unknown): WorkflowError {
  const original = err instanceof WorkflowError && err.cause !== undefined ? err.cause : err;
  const reason = original instanceof Error ? original.message : String((original as { message?: unknown })?.message ?? original);
  const { method, url } = opts.target;
  return new WorkflowError(
    ErrorCode.Transform,
    `${method} ${url}: the condition until ${JSON.stringify(opts.until)} could not be evaluated against the ` +
      `response (status ${status}): ${reason}. Fix the condition; it sees {status, headers, data}.`,
    { retryable: false, cause: err, details: { method, url, until: opts.until, status } },
  );
}

function excerpt(data: unknown): string {
  const text = (typeof data === "string" ? data : (JSON.stringify(data) ?? "")).replace(/\s+/g, " ").trim();
  return text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}…` : text;
}

function plural(polls: number): string {
  return `${polls} poll${polls === 1 ? "" : "s"}`;
}
