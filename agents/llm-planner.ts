import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { type BaseMessage, HumanMessage, SystemMessage } from "@langchain/core/messages";
import { z } from "zod";
import { ErrorCode, PlanValidationError } from "../src/model/errors.js";
import { ActionType, type Plan } from "../src/model/plan-schema.js";
import { validatePlan } from "../src/plan/validate.js";
import { type Logger, silentLogger } from "../utils/logger.js";
import {
  callStructured,
  emptyUsage,
  extractCandidate,
  type LlmCallContext,
  type LlmRetryOptions,
  type StructuredReply,
  withoutNulls,
} from "./llm-call.js";
import { createChatModel, type LlmConfig } from "./llm-config.js";
import type { LlmUsage, Planner, PlanRequest, PlanResult } from "../src/model/planner.js";
import { PLAN_FUNCTION, PLANNER_SYSTEM_PROMPT, planRepairPrompt, plannerUserPrompt } from "./prompts.js";

const FreeObject = z.record(z.string(), z.unknown());

/**
 * The plan shape sent to the model as the function's parameters: loose enough for any
 * OpenAI-compatible server (no per-type config unions, no defaults). validatePlan does the real check.
 */
const WirePlanSchema = z.object({
  tasks: z
    .array(
      z.object({
        id: z.string().describe("unique id: letters, digits, _ and -, starting with a letter or _"),
        name: z.string().optional(),
        description: z.string().optional(),
        action_type: z.enum(ActionType),
        action_config: FreeObject.describe("the config of this action type"),
        dependencies: z.array(z.string()).describe("ids of the tasks that must finish first"),
        on_failure: z.union([z.enum(["retry", "skip", "fail"]), z.object({ modify: FreeObject })]).optional(),
        retry: z
          .object({ max_attempts: z.number().int(), backoff_ms: z.number().int(), max_backoff_ms: z.number().int() })
          .partial()
          .optional(),
        verify: z
          .array(z.object({ assert: z.string().describe("JSONata over {result, config, variables}; must be true"), message: z.string() }))
          .optional()
          .describe("post-conditions on the result, for tasks whose success is easy to misjudge"),
        compensate: z
          .object({ action_type: z.enum(ActionType), action_config: FreeObject })
          .optional()
          .describe("the action that undoes this task if the workflow fails; {{self.path}} is this task's own result"),
        when: z.string().optional().describe("JSONata over the dependencies' results and the variables; false skips the task"),
        for_each: z
          .string()
          .optional()
          .describe("one {{reference}} to a list: the action runs once per item, {{item}} and {{index}} bound"),
        concurrency: z.number().int().optional().describe("with for_each: at most this many items at once"),
      }),
    )
    .min(1),
});
type WirePlan = z.infer<typeof WirePlanSchema>;

export interface LlmPlannerOptions {
  config: LlmConfig;
  /** Defaults to createChatModel(config, { streaming }). */
  model?: BaseChatModel;
  streaming?: boolean;
  /** How many times an invalid plan is sent back for correction (default 2). */
  maxRepairs?: number;
  retry?: LlmRetryOptions;
  logger?: Logger;
}

type Checked = { plan: Plan } | { error: PlanValidationError; previous: { plan: unknown } | { problem: string } };

/** Plans with an LLM through function calling, sending invalid plans back with the validator's findings. */
export class LlmPlanner implements Planner {
  readonly kind = "llm" as const;
  readonly maxRepairs: number;
  private readonly config: LlmConfig;
  private readonly model: BaseChatModel;
  private readonly retry: LlmRetryOptions;
  private readonly logger: Logger;

  constructor(options: LlmPlannerOptions) {
    this.config = options.config;
    this.model = options.model ?? createChatModel(options.config, { streaming: options.streaming ?? false });
    this.maxRepairs = Math.max(0, Math.trunc(options.maxRepairs ?? 2));
    this.retry = options.retry ?? {};
    this.logger = options.logger ?? silentLogger();
  }

  /** Ask for a plan, validate it, and repair it up to maxRepairs times. Throws PLAN_INVALID, LLM_ERROR or CANCELLED. */
  async plan(request: PlanRequest): Promise<PlanResult> {
    const usage = emptyUsage();
    const ctx: LlmCallContext = {
      model: this.model,
      config: this.config,
      retry: this.retry,
      logger: this.logger,
      usage,
      ...(request.signal ? { signal: request.signal } : {}),
      ...(request.budget ? { budget: request.budget } : {}),
    };
    const variables = Object.keys(request.variables);
    const opening = [
      new SystemMessage(PLANNER_SYSTEM_PROMPT),
      new HumanMessage(plannerUserPrompt(request.goal, request.variables, request.library)),
    ];
    let messages: BaseMessage[] = opening;
    let last: PlanValidationError | undefined;
    for (let round = 0; round <= this.maxRepairs; round += 1) {
      const checked = checkReply(await callStructured(WirePlanSchema, PLAN_FUNCTION, messages, ctx), variables);
      if ("plan" in checked) {
        this.logger.debug({ tasks: checked.plan.tasks.length, round, usage }, "LLM plan accepted");
        return { plan: { ...checked.plan, goal: request.goal }, planner: "llm", usage };
      }
      last = checked.error;
      this.logger.info({ round, issues: last.issues }, "LLM plan rejected by the validator");
      messages = [...opening, new HumanMessage(planRepairPrompt(checked.previous, last.issues))];
    }
    throw this.gaveUp(last ?? new PlanValidationError([{ path: "", message: "no plan was produced" }]), usage);
  }

  private gaveUp(last: PlanValidationError, usage: LlmUsage): PlanValidationError {
    const attempts = this.maxRepairs + 1;
    const err = new PlanValidationError(last.issues, ErrorCode.PlanInvalid);
    const lines = last.issues.map((i) => `  - ${i.path ? `${i.path}: ` : ""}${i.message}`).join("\n");
    err.message =
      `The LLM (${this.config.model} at ${this.config.baseURL}) could not produce a valid plan in ${attempts} ` +
      `attempt(s). Problems with its last plan:\n${lines}\n` +
      "Rephrase the goal more precisely, use a stronger model (OPENAI_MODEL), or write the plan yourself and run it as a plan file.";
    err.details.attempts = attempts;
    err.details.usage = usage;
    return err;
  }
}

/** Validate one reply: the parsed plan, else whatever the model sent, with nulls for optional fields dropped. */
function checkReply(reply: StructuredReply<WirePlan>, variables: readonly string[]): Checked {
  const candidate = reply.parsed !== null ? { value: reply.parsed as unknown } : extractCandidate(reply.raw);
  if ("problem" in candidate) {
    return {
      error: new PlanValidationError([{ path: "", message: `no plan in the reply: ${candidate.problem}` }]),
      previous: candidate,
    };
  }
  try {
    return { plan: validatePlan(normalise(candidate.value), { variables }) };
  } catch (err) {
    if (err instanceof PlanValidationError) return { error: err, previous: { plan: candidate.value } };
    throw err;
  }
}

/** Models often send `null` for an optional field; the plan schema wants it absent. */
function normalise(value: unknown): unknown {
  const plan = withoutNulls(value);
  if (typeof plan !== "object" || plan === null || !("tasks" in plan) || !Array.isArray(plan.tasks)) return plan;
  return { ...plan, tasks: plan.tasks.map((t: unknown) => withoutNulls(t)) };
}
