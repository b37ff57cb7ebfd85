import type { Logger } from "../../utils/logger.js";
import type { WorkflowEngine } from "../engine/workflow-engine.js";
import type { MemoryEventLog } from "./memory-event-log.js";
import type { RunService } from "./run-service.js";

/** What the routes work with. */
export interface ServerDeps {
  engine: WorkflowEngine;
  runs: RunService;
  /** This server's runs' events, for clients to follow when no Redis is configured. */
  events: MemoryEventLog;
  logger: Logger;
}
