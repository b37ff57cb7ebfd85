import { ErrorCode, WorkflowError } from "../src/model/errors.js";
import type { Logger } from "../utils/logger.js";
import type { FailureAdvisor } from "../src/model/advisor.js";
import { isLlmConfigured } from "./llm-env.js";
import type { Planner, PlannerSetting } from "../src/model/planner.js";
import { RulePlanner } from "./rule-planner.js";

/**
 * The planner for a `--planner` choice: "auto" is the LLM when OPENAI_API_KEY is set, the rules
 * otherwise. The LLM modules are imported only when used: offline runs start faster without them.
 */
export async function createPlanner(kind: PlannerSetting, env: Record<string, string | undefined>, logger: Logger): Promise<Planner> {
  if (kind === "rules" || (kind === "auto" && !isLlmConfigured(env))) return new RulePlanner();
  if (!isLlmConfigured(env)) {
    throw new WorkflowError(
      ErrorCode.ConfigInvalid,
      'planner: "llm" needs OPENAI_API_KEY (and OPENAI_BASE_URL for a local server such as Ollama or vLLM). ' +
        'Set them, or use planner: "rules".',
    );
  }
  const [{ LlmPlanner }, { loadLlmConfig }] = await Promise.all([import("./llm-planner.js"), import("./llm-config.js")]);
  return new LlmPlanner({ config: loadLlmConfig(env), logger: logger.child({ agent: "planner" }) });
}

/** The LLM failure advisor when an LLM is configured; none otherwise. */
export async function createAdvisor(env: Record<string, string | undefined>, logger: Logger): Promise<FailureAdvisor | undefined> {
  if (!isLlmConfigured(env)) return undefined;
  const [{ LlmFailureAdvisor }, { loadLlmConfig }] = await Promise.all([import("./failure-advisor.js"), import("./llm-config.js")]);
  return new LlmFailureAdvisor({ config: loadLlmConfig(env), logger: logger.child({ agent: "failure_advisor" }) });
}
