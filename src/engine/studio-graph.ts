import { createAdvisor, createPlanner } from "../../agents/select-planner.js";
import { createLogger } from "../../utils/logger.js";
import { WorkflowError } from "../model/errors.js";
import { InProcessExecutor } from "../executor/in-process-executor.js";
import { createAttemptRunner } from "../executor/run-attempt.js";
import { buildGraph } from "../graph/build-graph.js";
import { buildRunSafety } from "../safety/run-safety.js";
import { SecretScrubber } from "../safety/secrets/scrubber.js";
import type { RunLoop } from "../scheduler/run-loop.js";
import { EngineResources } from "./engine-resources.js";
import { parseSettings, resolveWorkspace } from "./engine-settings.js";
import { createGraphDeps } from "./graph-deps-factory.js";
import { defaultTemplateRoot } from "../actions/db-query/pglite-template.js";

/**
 * The workflow graph for LangGraph tooling (`langgraph.json`, `npx @langchain/langgraph-cli dev`, the Agent
 * Server, Studio), compiled without a checkpointer since the server brings its own. Input: a goal
 * `{"context": {"workflow_id": "demo", "goal": "...", "status": "planning", "started_at": "<ISO time>", "concurrency": 8}}`,
 * or a plan in `workflow_plan` beside the context; either goes through the engine's one plan entry. Only the
 * context, the plan and `memory` can be written by a client. The safety policy comes from this server's
 * environment (ALLOW_HOSTS and the limits' defaults; SQL writes never), never from the input; the input is
 * parsed by ClientInput (src/graph/client-input.ts), which drops anything else. A refused plan or goal
 * fails the run with the engine's code as the error's name (PLAN_INVALID). Task events go to the `custom` stream mode. Actions run in WORKSPACE (default: the current folder).
 */
export function createStudioGraph(env: Record<string, string | undefined> = process.env) {
  const secrets = SecretScrubber.fromEnv(env);
  const logger = createLogger("warn", secrets);
  const settings = parseSettings({}, env);
  const workspace = resolveWorkspace(env.WORKSPACE || process.cwd());
  const resources = new EngineResources({
    stateDir: `${workspace}/.workflow-state`,
    persist: "memory",
    checkpointSchema: "workflow_engine",
    logger,
    pgliteTemplateRoot: defaultTemplateRoot(env),
    ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}),
  });
  const loops = new Map<string, RunLoop>();
  const executor = new InProcessExecutor(createAttemptRunner({ workspace, logger, sql: () => resources.sqlClient(), env, secrets }));
  const deps = createGraphDeps({
    loops,
    executor,
    planner: () => createPlanner(settings.planner, env, logger),
    advisor: () => createAdvisor(env, logger),
    plans: { env },
    logger,
    startEagerly: false,
    secrets,
  });
  // A client of the server is not the server's user: nothing it writes (hosts in its goal or plan, allow_writes,
  // a context.safety) widens the policy. Trusted hosts are ALLOW_HOSTS alone; SQL stays read-only.
  deps.runSafety = (planned, _goal, variables) => {
    secrets.learnFrom([planned.plan, variables]);
    const plan = { ...planned.plan, allow_writes: false };
    return buildRunSafety({ settings, plan, planner: planned.planner === "provided" ? "rules" : planned.planner, variables: {}, logger });
  };
  deps.release = (key) => loops.delete(key);
  // The server shows a client an error's name and message only: the name carries the engine's code
  // (PLAN_INVALID, GOAL_NOT_UNDERSTOOD), which is what a client can act on.
  const enter = deps.enterPlan;
  deps.enterPlan = (goalOrPlan, variables, signal) =>
    enter(goalOrPlan, variables, signal).catch((err: unknown) => {
      if (err instanceof WorkflowError) err.name = err.code;
      throw err;
    });
  return buildGraph(deps, { clientInput: true });
}

export const graph = createStudioGraph();
