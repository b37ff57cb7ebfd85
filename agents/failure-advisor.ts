import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { HumanMessage, SystemMessage } from "@langchain/core/messages";
import { z } from "zod";
import { CancelledError, ErrorCode, ensureWorkflowError, WorkflowError } from "../src/model/errors.js";
import { ActionConfigSchemas, type TaskSpec } from "../src/model/plan-schema.js";
import { type Logger, silentLogger } from "../utils/logger.js";
import { callStructured, emptyUsage, extractCandidate, type LlmRetryOptions, type StructuredReply, withoutNulls } from "./llm-call.js";
import { createChatModel, type LlmConfig } from "./llm-config.js";
import { type Advice, AdviceDecision, type AdviceInput, type FailureAdvisor } from "../src/model/advisor.js";
import { ADVICE_FUNCTION, ADVISOR_SYSTEM_PROMPT, advisorUserPrompt } from "./prompts.js";

/** The reply the model is asked for (the advice function's parameters). */
const WireAdviceSchema = z.object({
  decision: z.enum(AdviceDecision),
  patch: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('only with "modify": keys merged into action_config, each replacing the existing key'),
  reason: z.string().describe("one sentence explaining the decision"),
});
type WireAdvice = z.infer<typeof WireAdviceSchema>;

export interface LlmFailureAdvisorOptions {
  config: LlmConfig;
  /** Defaults to createChatModel(config). */
  model?: BaseChatModel;
  retry?: LlmRetryOptions;
  logger?: Logger;
}

const MAX_REASON = 500;

/** A FailureAdvisor backed by an LLM; the task and its error reach the model only as untrusted data. */
export class LlmFailureAdvisor implements FailureAdvisor {
  private readonly config: LlmConfig;
  private readonly model: BaseChatModel;
  private readonly retry: LlmRetryOptions;
  private readonly logger: Logger;

  constructor(options: LlmFailureAdvisorOptions) {
    this.config = options.config;
    this.model = options.model ?? createChatModel(options.config);
    this.retry = options.retry ?? {};
    this.logger = options.logger ?? silentLogger();
  }

  /** Ask the model for a decision; an unusable reply or an unreachable server means "fail", with the reason. */
  async advise(input: AdviceInput, signal?: AbortSignal): Promise<Advice> {
    const usage = emptyUsage();
    const messages = [new SystemMessage(ADVISOR_SYSTEM_PROMPT), new HumanMessage(advisorUserPrompt(input))];
    let reply: StructuredReply<WireAdvice>;
    try {
      reply = await callStructured(WireAdviceSchema, ADVICE_FUNCTION, messages, {
        model: this.model,
        config: this.config,
        retry: this.retry,
        logger: this.logger,
        usage,
        ...(signal ? { signal } : {}),
        ...(input.budget ? { budget: input.budget } : {}),
      });
    } catch (err) {
      // Cancelled, or over the run's LLM budget: the engine's rules decide instead.
      if (err instanceof CancelledError || (err instanceof WorkflowError && err.code === ErrorCode.LlmBudget)) throw err;
      const reason = `the failure advisor could not be consulted: ${ensureWorkflowError(err).message}`;
      this.logger.warn({ taskId: input.task.id, err: reason }, "failure advisor unavailable");
      return { decision: "fail", reason, usage };
    }
    const advice = interpretAdvice(reply, input.task);
    this.logger.info({ taskId: input.task.id, decision: advice.decision }, "failure advisor decided");
    return { ...advice, usage };
  }
}

function unusable(why: string): Omit<Advice, "usage"> {
  return { decision: "fail", reason: `the failure advisor's reply was not usable (${why}), so the task fails` };
}

/** Turn the model's reply into a decision the engine can trust; anything doubtful becomes "fail". */
function interpretAdvice(reply: StructuredReply<WireAdvice>, task: TaskSpec): Omit<Advice, "usage"> {
  const candidate = reply.parsed !== null ? { value: reply.parsed as unknown } : extractCandidate(reply.raw);
  if ("problem" in candidate) return unusable(candidate.problem);
  const parsed = WireAdviceSchema.safeParse(withoutNulls(candidate.value));
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "reply"}: ${i.message}`).join("; ");
    return unusable(issues);
  }
  const { decision, patch } = parsed.data;
  const reason = parsed.data.reason.trim().slice(0, MAX_REASON) || "(no reason given)";
  if (decision !== "modify") return { decision, reason };
  if (patch === undefined || Object.keys(patch).length === 0) return unusable('it chose "modify" without a patch');
  const risky = riskyPatch(task, patch);
  if (risky) return unusable(risky);
  const merged = ActionConfigSchemas[task.action_type].safeParse({ ...task.action_config, ...patch });
  if (!merged.success) {
    const issues = merged.error.issues.map((i) => `${i.path.join(".") || "config"}: ${i.message}`).join("; ");
    return unusable(`its patch would make the ${task.action_type} config invalid: ${issues}`);
  }
  return { decision, patch, reason };
}

function originOf(url: unknown): string | undefined {
  if (typeof url !== "string") return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/**
 * The advisor reads untrusted data, so its patch must not widen what the task does: no new file
 * operation (e.g. read -> delete), no new SQL, no new HTTP method or host. Returns why, or undefined.
 */
function riskyPatch(task: TaskSpec, patch: Record<string, unknown>): string | undefined {
  const config = task.action_config;
  const changes = (key: string) => key in patch && JSON.stringify(patch[key]) !== JSON.stringify(config[key]);
  if (task.action_type === "file_operation" && changes("operation")) return "its patch changes the file operation";
  if (task.action_type === "db_query" && changes("query")) return "its patch rewrites the SQL query";
  if (task.action_type === "api_call") {
    const method = (c: Record<string, unknown>) => String(c.method ?? "GET").toUpperCase();
    if ("method" in patch && method(patch) !== method(config)) return "its patch changes the HTTP method";
    if ("url" in patch && originOf(patch.url) !== originOf(config.url)) return "its patch sends the request to another host";
  }
  return undefined;
}
