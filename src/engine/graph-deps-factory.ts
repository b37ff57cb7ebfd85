import type { Logger } from "../../utils/logger.js";
import type { FailureAdvisor } from "../model/advisor.js";
import { ensureWorkflowError } from "../model/errors.js";
import type { Executor } from "../model/executor.js";
import type { Planner } from "../model/planner.js";
import type { GraphDeps } from "../graph/graph-deps.js";
import { enterPlan, type PlanSources } from "../plan/plan-entry.js";
import type { SecretScrubber } from "../safety/secrets/scrubber.js";
import type { AdviseFn } from "../scheduler/handle-failures.js";
import { RunLoop } from "../scheduler/run-loop.js";

export interface DepsSources {
  /** The run loops of the runs this process drives, by run id. */
  loops: Map<string, RunLoop>;
  executor: Executor;
  planner(): Promise<Planner>;
  advisor(): Promise<FailureAdvisor | undefined>;
  /** The rest of the plan entry's sources (cache, environment, budget); the planner comes from `planner`. */
  plans?: Omit<PlanSources, "planner">;
  logger: Logger;
  startEagerly: boolean;
  /** Scrubs what the failure advisor (an LLM) is shown. */
  secrets?: SecretScrubber;
}

/** The engine's side of the graph: run loops over one executor, the plan entry, the advisor. */
export function createGraphDeps(src: DepsSources): GraphDeps {
  return {
    loop: (runId) => {
      let loop = src.loops.get(runId);
      if (!loop) {
        loop = new RunLoop(runId, src.executor);
        src.loops.set(runId, loop);
      }
      return loop;
    },
    enterPlan: (goalOrPlan, variables, signal) => enterPlan({ env: {}, ...src.plans, planner: src.planner }, goalOrPlan, variables, signal),
    advise: adviser(src),
    startEagerly: src.startEagerly,
    now: Date.now,
    random: Math.random,
  };
}

/** Ask the advisor; its failures never fail the run (the rules decide then). */
function adviser(src: DepsSources): AdviseFn {
  const scrub = <T>(value: T): T => (src.secrets ? src.secrets.scrub(value) : value);
  return async (task, error, signal, budget) => {
    try {
      const advisor = await src.advisor();
      if (!advisor) return undefined;
      return await advisor.advise({ task: scrub(task), error: scrub(error), attempts: task.attempts, budget }, signal);
    } catch (err) {
      const e = ensureWorkflowError(err);
      src.logger.warn({ taskId: task.id, code: e.code, err: e.message }, "failure advisor unavailable; using the rules");
      return undefined;
    }
  };
}
