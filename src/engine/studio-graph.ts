import { createAdvisor, createPlanner } from "../../agents/select-planner.js";
import { createLogger } from "../../utils/logger.js";
import { SecretScrubber } from "../safety/secrets/scrubber.js";
import { EngineResources } from "./engine-resources.js";
import { createGraphDeps } from "./graph-deps-factory.js";
import type { RunRuntime } from "../scheduler/run-loop.js";
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
  const runtimes = new Map<string, RunRuntime>();
  const deps = createGraphDeps({
    runtimes,
    planner: () => createPlanner("auto", env, logger),
    advisor: () => createAdvisor(env, logger),
    sql: () => resources.sqlClient(),
    workspace: process.cwd(),
    logger,
    startEagerly: false,
  });
  return buildGraph(deps);
}

export const graph = createStudioGraph();
