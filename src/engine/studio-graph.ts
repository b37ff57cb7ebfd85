import { createAdvisor, createPlanner } from "../../agents/select-planner.js";
import { createLogger } from "../../utils/logger.js";
import { SecretScrubber } from "../safety/secrets/scrubber.js";
import { EngineResources } from "./engine-resources.js";
import { createGraphDeps } from "./graph-deps-factory.js";
import { InProcessExecutor } from "../executor/in-process-executor.js";
import { createAttemptRunner } from "../executor/run-attempt.js";
import { buildGraph } from "../graph/build-graph.js";

/**
 * The workflow graph for LangGraph tooling (`langgraph.json`, `npx @langchain/langgraph-cli dev`, Studio):
 * compiled without a checkpointer, since the LangGraph server brings its own. Input:
 * `{"context": {"workflow_id": "demo", "goal": "...", "status": "planning", "started_at": "<ISO time>", "concurrency": 8}}`.
 * It plans with the planner the environment selects and runs actions in the current folder.
 */
export function createStudioGraph() {
  const env = process.env;
  const logger = createLogger("warn", SecretScrubber.fromEnv(env));
  const resources = new EngineResources({
    stateDir: ".workflow-state",
    persist: "memory",
    checkpointSchema: "workflow_engine",
    logger,
    ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}),
  });
  const executor = new InProcessExecutor(createAttemptRunner({ workspace: process.cwd(), logger, sql: () => resources.sqlClient(), env }));
  const deps = createGraphDeps({
    loops: new Map(),
    executor,
    planner: () => createPlanner("auto", env, logger),
    advisor: () => createAdvisor(env, logger),
    plans: { env },
    logger,
    startEagerly: false,
  });
  return buildGraph(deps);
}

export const graph = createStudioGraph();
