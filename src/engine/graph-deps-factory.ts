import type { FailureAdvisor } from "../../agents/failure-advisor.js";
import type { LlmBudget } from "../model/planner.js";
import type { Planner } from "../model/planner.js";
import type { Logger } from "../../utils/logger.js";
import { runAction } from "../actions/registry.js";
import type { SqlClient } from "../actions/types.js";
import { ensureWorkflowError, type SerializedError } from "../model/errors.js";
import type { GraphDeps } from "../graph/graph-deps.js";
import { refuseRedactedSecrets } from "../safety/secrets/access.js";
import type { SecretScrubber } from "../safety/secrets/scrubber.js";
import type { TaskState } from "../model/task-state.js";
import { RunRuntime } from "../scheduler/run-loop.js";

export interface DepsSources {
  runtimes: Map<string, RunRuntime>;
  planner(): Promise<Planner>;
  advisor(): Promise<FailureAdvisor | undefined>;
  sql(): Promise<SqlClient>;
  workspace: string;
  logger: Logger;
  startEagerly: boolean;
  /** What `{{env.NAME}}` reads. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Learns the secrets of each resolved config; scrubs what the failure advisor (an LLM) is shown. */
  secrets?: SecretScrubber;
}

/** The engine's side of the graph: runtimes, planner, advisor and the context each action gets. */
export function createGraphDeps(src: DepsSources): GraphDeps {
  return {
    runtime: (runId) => {
      let rt = src.runtimes.get(runId);
      if (!rt) {
        rt = new RunRuntime(runId);
        src.runtimes.set(runId, rt);
      }
      return rt;
    },
    planGoal: async (goal, variables, signal) => (await src.planner()).plan({ goal, variables, signal }),
    advise: (task, error, signal, budget) => adviseSafely(src, scrub(src, task), scrub(src, error), signal, budget),
    runAction: async (type, config, ctx) => {
      // A secret lost to a resume must not go out as "[redacted]"; a resolved one (from {{env.X}} or a
      // result) is learned so that what the task returns or logs is scrubbed of it too.
      refuseRedactedSecrets(config, ctx.taskId);
      src.secrets?.learnFrom(config);
      return runAction(type, config, ctx);
    },
    actionContext: (runId, task, signal, safety) => ({
      signal,
      logger: src.logger.child({ runId, taskId: task.id, actionType: task.action_type, attempt: task.attempts }),
      attempt: task.attempts,
      runId,
      taskId: task.id,
      workspace: src.workspace,
      resources: { sql: () => src.sql() },
      safety,
    }),
    startEagerly: src.startEagerly,
    ...(src.env ? { env: src.env } : {}),
    now: Date.now,
    random: Math.random,
  };
}

function scrub<T>(src: DepsSources, value: T): T {
  return src.secrets ? src.secrets.scrub(value) : value;
}

/** Ask the advisor; its failures never fail the run (the rules decide then). */
async function adviseSafely(src: DepsSources, task: TaskState, error: SerializedError, signal: AbortSignal, budget?: LlmBudget) {
  try {
    const advisor = await src.advisor();
    if (!advisor) return undefined;
    return await advisor.advise({ task, error, attempts: task.attempts, ...(budget ? { budget } : {}) }, signal);
  } catch (err) {
    const e = ensureWorkflowError(err);
    src.logger.warn({ taskId: task.id, code: e.code, err: e.message }, "failure advisor unavailable; using the rules");
    return undefined;
  }
}
