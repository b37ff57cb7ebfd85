import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { type BaseMessage, isAIMessage } from "@langchain/core/messages";
import pRetry from "p-retry";
import type { z } from "zod";
import { CancelledError, ErrorCode, WorkflowError } from "../src/model/errors.js";
import type { Logger } from "../utils/logger.js";
import type { LlmBudget } from "../src/model/planner.js";
import { checkBudget } from "./llm-budget.js";
import type { LlmConfig } from "./llm-config.js";
import type { LlmUsage } from "../src/model/planner.js";

/** How often and how fast to retry a transient transport error (no connection, timeout, 5xx, 429). */
export interface LlmRetryOptions {
  /** Retries after the first attempt (default 3). */
  retries?: number;
  /** Delay before the first retry, doubled each time (default 500 ms). */
  minTimeoutMs?: number;
  maxTimeoutMs?: number;
}

/** Everything one structured call needs besides its messages. */
export interface LlmCallContext {
  model: BaseChatModel;
  config: Pick<LlmConfig, "baseURL" | "model">;
  retry: LlmRetryOptions;
  logger: Logger;
  usage: LlmUsage;
  signal?: AbortSignal;
  /** The run's LLM allowance; a call past it is refused before anything is sent. */
  budget?: LlmBudget;
}

/** The model's reply: `parsed` is null when it did not match the schema; `raw` is the AIMessage. */
export interface StructuredReply<T> {
  parsed: T | null;
  raw: BaseMessage;
}

export function emptyUsage(): LlmUsage {
  return { calls: 0, prompt_tokens: 0, completion_tokens: 0 };
}

/** Add one reply's token counts (usage_metadata, else the raw response_metadata) to `usage`. */
function addUsage(usage: LlmUsage, message: BaseMessage): void {
  usage.calls += 1;
  const meta = isAIMessage(message) ? message.usage_metadata : undefined;
  if (meta) {
    usage.prompt_tokens += meta.input_tokens;
    usage.completion_tokens += meta.output_tokens;
    return;
  }
  const raw = message.response_metadata as { usage?: { prompt_tokens?: number; completion_tokens?: number } };
  usage.prompt_tokens += raw.usage?.prompt_tokens ?? 0;
  usage.completion_tokens += raw.usage?.completion_tokens ?? 0;
}

function statusOf(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : undefined;
}

/** True for errors a retry may fix: no connection, timeouts, HTTP 5xx, 408 and 429. Other 4xx are final. */
function isTransientLlmError(err: unknown): boolean {
  const status = statusOf(err);
  if (status !== undefined) return status >= 500 || status === 429 || status === 408;
  const name = (err as { name?: unknown; constructor?: { name?: unknown } } | null)?.constructor?.name;
  const errName = (err as { name?: unknown } | null)?.name;
  return name === "APIConnectionError" || name === "APIConnectionTimeoutError" || errName === "TimeoutError" || errName === "FetchError";
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split("\n")[0] ?? "").trim();
}

/** The root cause of a transport error: its error code (ECONNREFUSED, ENOTFOUND...), else its message. */
function rootCause(err: unknown): string | undefined {
  let current = (err as { cause?: unknown } | null)?.cause;
  let last: string | undefined;
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth += 1) {
    const { code, message, cause } = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === "string") return code;
    if (typeof message === "string") last = message;
    current = cause;
  }
  return last;
}

function llmErrorMessage(err: unknown, config: Pick<LlmConfig, "baseURL" | "model">, attempts: number): string {
  const status = statusOf(err);
  const at = `the LLM server at ${config.baseURL}`;
  const tried = attempts > 1 ? ` after ${attempts} attempts` : "";
  const why = firstLine(err).replace(/\.$/, "");
  if (status === undefined && isTransientLlmError(err)) {
    return (
      `Could not reach ${at}${tried} (${[why, rootCause(err)].filter(Boolean).join(": ")}). Check that the server is ` +
      "running and that OPENAI_BASE_URL points at its OpenAI-compatible API (for Ollama: http://127.0.0.1:11434/v1)."
    );
  }
  if (status === undefined) return `The request to ${at} failed (${why}).`;
  if (status === 401 || status === 403)
    return `The LLM server at ${config.baseURL} rejected the API key (HTTP ${status}). Check OPENAI_API_KEY.`;
  if (status === 404) {
    return (
      `The LLM server at ${config.baseURL} answered HTTP 404 (${why}). Check OPENAI_MODEL ("${config.model}") and ` +
      "that OPENAI_BASE_URL ends with the API prefix (usually /v1)."
    );
  }
  if (status === 429 || status >= 500) {
    return `The LLM server at ${config.baseURL} kept failing${tried} (HTTP ${status}: ${why}). Try again later or check its logs.`;
  }
  return (
    `The LLM server at ${config.baseURL} refused the request (HTTP ${status}: ${why}). ` +
    `Check that OPENAI_MODEL ("${config.model}") supports tool calling.`
  );
}

/** Turn a transport error into LLM_ERROR, saying which server failed and what to check. */
function toLlmError(err: unknown, config: Pick<LlmConfig, "baseURL" | "model">, attempts: number): WorkflowError {
  const status = statusOf(err);
  return new WorkflowError(ErrorCode.Llm, llmErrorMessage(err, config, attempts), {
    retryable: isTransientLlmError(err),
    cause: err,
    details: { base_url: config.baseURL, model: config.model, attempts, ...(status === undefined ? {} : { status }) },
  });
}

function cancelled(): CancelledError {
  return new CancelledError("the LLM request was cancelled");
}

/**
 * Ask `ctx.model` for output matching `schema`, through function calling, retrying transient
 * transport errors. Counts usage for every reply. Throws LLM_ERROR or CancelledError.
 */
export async function callStructured<T extends Record<string, unknown>>(
  schema: z.ZodType<T>,
  name: string,
  messages: BaseMessage[],
  ctx: LlmCallContext,
): Promise<StructuredReply<T>> {
  // Function calling, not the jsonSchema default: it sends `strict: true`, which rejects
  // free-form objects such as action_config, and fewer OpenAI-compatible servers support it.
  checkBudget(ctx.budget, ctx.usage);
  const runnable = ctx.model.withStructuredOutput(schema, { name, includeRaw: true, method: "functionCalling" });
  let attempts = 0;
  const once = async (): Promise<StructuredReply<T>> => {
    attempts += 1;
    ctx.signal?.throwIfAborted();
    const reply = await runnable.invoke(messages, { signal: ctx.signal });
    return { parsed: (reply.parsed ?? null) as T | null, raw: reply.raw };
  };
  const retry = ctx.retry;
  try {
    const reply = await pRetry(once, {
      retries: retry.retries ?? 3,
      minTimeout: retry.minTimeoutMs ?? 500,
      maxTimeout: retry.maxTimeoutMs ?? 10_000,
      signal: ctx.signal,
      shouldRetry: ({ error }) => !ctx.signal?.aborted && isTransientLlmError(error),
      onFailedAttempt: ({ error, attemptNumber }) => {
        ctx.logger.warn({ err: firstLine(error), attempt: attemptNumber, baseURL: ctx.config.baseURL }, "LLM request failed");
      },
    });
    addUsage(ctx.usage, reply.raw);
    return reply;
  } catch (err) {
    if (ctx.signal?.aborted) throw cancelled();
    throw toLlmError(err, ctx.config, attempts);
  }
}

/** A structured reply that did not parse: the arguments or JSON content the model sent, or why there are none. */
export function extractCandidate(raw: BaseMessage): { value: unknown } | { problem: string } {
  if (isAIMessage(raw)) {
    const call = raw.tool_calls?.[0];
    if (call) return { value: call.args };
    const invalid = raw.invalid_tool_calls?.[0];
    if (invalid) {
      return parseJson(invalid.args ?? "", `the arguments of the "${invalid.name ?? "?"}" function call are not valid JSON`);
    }
  }
  const text = typeof raw.content === "string" ? raw.content : "";
  if (text.trim() === "") return { problem: "the reply contained neither a function call nor JSON" };
  const unfenced = text.replace(/^\s*```(?:json)?\s*|\s*```\s*$/g, "");
  return parseJson(unfenced, "the reply has no function call and its text is not valid JSON");
}

function parseJson(text: string, problem: string): { value: unknown } | { problem: string } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (err) {
    return { problem: `${problem} (${firstLine(err)})` };
  }
}

/** A copy of a plain object without its null-valued keys (models often send null for an optional field). */
export function withoutNulls(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null));
}
