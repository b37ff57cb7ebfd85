import type { MessageContent } from "@langchain/core/messages";
import { ChatOpenAI, ChatOpenAICompletions, type ChatOpenAIFields } from "@langchain/openai";
import { z } from "zod";
import { ErrorCode, WorkflowError } from "../src/model/errors.js";
import { blankAsUnset } from "./llm-env.js";

/** Where requests go when OPENAI_BASE_URL is unset. Set explicitly so the SDK never reads process.env itself. */
const DEFAULT_OPENAI_BASE_URL = "https://api.openai.com/v1";
const DEFAULT_OPENAI_MODEL = "gpt-4o-mini";

/** The environment the LLM agents read. */
const LlmEnv = z.object({
  OPENAI_API_KEY: z.preprocess(
    blankAsUnset,
    z.string({ error: "OPENAI_API_KEY is not set: set it to use the LLM planner (any non-empty value for a local server)" }),
  ),
  OPENAI_MODEL: z.preprocess(blankAsUnset, z.string().trim().min(1).default(DEFAULT_OPENAI_MODEL)),
  OPENAI_BASE_URL: z.preprocess(
    blankAsUnset,
    z
      .url({
        protocol: /^https?$/,
        error: "OPENAI_BASE_URL must be an http(s) URL such as http://127.0.0.1:11434/v1",
      })
      .optional(),
  ),
});

/** What the agents need to reach an OpenAI-compatible server. `apiKey` is redacted by the logger. */
export interface LlmConfig {
  apiKey: string;
  model: string;
  baseURL: string;
}

/** Options of the chat model that are not part of the environment. */
export interface ChatModelOptions {
  /** Ask for server-sent events instead of one JSON response. */
  streaming?: boolean;
  /** Per-request timeout; a timeout counts as a transient error. */
  timeoutMs?: number;
}

/** Read and validate the LLM settings from an environment record. Throws CONFIG_INVALID naming each problem. */
export function loadLlmConfig(env: Record<string, string | undefined>): LlmConfig {
  const parsed = LlmEnv.safeParse({
    OPENAI_API_KEY: env.OPENAI_API_KEY,
    OPENAI_MODEL: env.OPENAI_MODEL,
    OPENAI_BASE_URL: env.OPENAI_BASE_URL,
  });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  - ${i.path.join(".")}: ${i.message}`);
    throw new WorkflowError(ErrorCode.ConfigInvalid, `The LLM settings are invalid:\n${lines.join("\n")}`, {
      details: { issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })) },
    });
  }
  const { OPENAI_API_KEY, OPENAI_MODEL, OPENAI_BASE_URL } = parsed.data;
  return { apiKey: OPENAI_API_KEY, model: OPENAI_MODEL, baseURL: (OPENAI_BASE_URL ?? DEFAULT_OPENAI_BASE_URL).replace(/\/+$/, "") };
}

/**
 * When streaming, ChatOpenAI estimates token counts with tiktoken, whose encoder it downloads from
 * the internet on first use. Offline or against a local server that is a failing request per call,
 * so count approximately instead; the real numbers come from the server's usage chunk anyway.
 */
class OfflineTokenCountCompletions extends ChatOpenAICompletions {
  override async getNumTokens(content: MessageContent): Promise<number> {
    const text = typeof content === "string" ? content : JSON.stringify(content);
    return Math.ceil(text.length / 4);
  }
}

/** A ChatOpenAI for `config`: temperature 0 and no SDK retries (callers retry transient errors themselves). */
export function createChatModel(config: LlmConfig, options: ChatModelOptions = {}): ChatOpenAI {
  const fields: ChatOpenAIFields = {
    model: config.model,
    apiKey: config.apiKey,
    temperature: 0,
    maxRetries: 0,
    streaming: options.streaming ?? false,
    timeout: options.timeoutMs ?? 120_000,
    configuration: { baseURL: config.baseURL },
  };
  return new ChatOpenAI({ ...fields, completions: new OfflineTokenCountCompletions(fields) });
}
