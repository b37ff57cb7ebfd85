import type { Logger } from "../../utils/logger.js";
import { runAction } from "../actions/registry.js";
import type { ActionContext, ChildWorkflows, SqlClient } from "../actions/types.js";
import type { TaskAttempt } from "../model/executor.js";
import { resolveTemplates } from "../plan/template.js";
import { refusedByPolicy } from "../safety/approval/approval.js";
import { withTaskTimeout } from "../safety/limits/task-timeout.js";
import { envScope, refuseRedactedSecrets } from "../safety/secrets/access.js";
import type { SecretScrubber } from "../safety/secrets/scrubber.js";
import type { AttemptRunner } from "./in-process-executor.js";
import { verifyResult } from "./verify-result.js";
import { logFields } from "../telemetry/traceparent.js";

/** What running an attempt needs from the process it runs in. */
export interface AttemptEnvironment {
  /** Absolute, real path of the workspace. */
  workspace: string;
  logger: Logger;
  /** The SQL client for db_query (opened on first use). */
  sql(): Promise<SqlClient>;
  /** The process environment `{{env.NAME}}` reads (narrowed to the names the run's user wrote). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Learns the secrets of each resolved config, so that what the task returns or logs is scrubbed of them. */
  secrets?: SecretScrubber;
  /** Child runs for `workflow` tasks (the engine's library). */
  workflows?: ChildWorkflows;
  /** Runs a validated action config (default: the action registry); tests supply their own actions. */
  runAction?: typeof runAction;
}

/**
 * One attempt, the same wherever it runs: the approval policy, then references resolved against the results
 * it was given, then the action with its guards (network, SQL, file jail inside the actions), all under the
 * run's per-task timeout.
 */
export function createAttemptRunner(environment: AttemptEnvironment): AttemptRunner {
  return (attempt, signal) => {
    const { safety } = attempt;
    const task = { id: attempt.taskId, action_type: attempt.actionType, action_config: attempt.config };
    return withTaskTimeout(task, safety.limits.taskTimeoutSeconds, signal, async (bounded) => {
      const refused = refusedByPolicy(task, safety);
      if (refused) throw refused;
      const config = resolveTemplates(attempt.config, {
        results: attempt.results,
        variables: attempt.variables,
        taskIds: new Set(attempt.dependencies),
        env: envScope(environment.env ?? {}, safety),
      });
      // A secret lost to a resume must not go out as "[redacted]"; a resolved one (from {{env.X}} or a
      // result) is learned so that what the task returns or logs is scrubbed of it too.
      refuseRedactedSecrets(config, attempt.taskId);
      environment.secrets?.learnFrom(config);
      const result = await (environment.runAction ?? runAction)(attempt.actionType, config, actionContext(environment, attempt, bounded));
      if (attempt.verify?.length) {
        await verifyResult(attempt.taskId, attempt.verify, { result, config, variables: attempt.variables }, safety.limits, bounded);
      }
      return result;
    });
  };
}

function actionContext(environment: AttemptEnvironment, attempt: TaskAttempt, signal: AbortSignal): ActionContext {
  const { runId, taskId, actionType, attempt: n } = attempt;
  let logger: Logger | undefined;
  return {
    signal,
    // Made on first use: most attempts log nothing, and a child logger per attempt was a cost of every task.
    get logger(): Logger {
      logger ??= environment.logger.child({ runId, taskId, actionType, attempt: n, ...logFields(attempt.trace) });
      return logger;
    },
    attempt: n,
    runId,
    taskId,
    workspace: environment.workspace,
    resources: { sql: () => environment.sql(), ...(environment.workflows ? { workflows: environment.workflows } : {}) },
    safety: attempt.safety,
    ...(attempt.trace ? { trace: attempt.trace } : {}),
  };
}
