export { WorkflowEngine } from "./engine/workflow-engine.js";
export type { EngineOptions, RunOptions, PlannerKind } from "./engine/engine-options.js";
export type { WorkflowEvent, WorkflowEventType, EventListener } from "./model/events.js";
export { computeMetrics, type RunMetrics, type TaskReport, type WorkflowResult } from "./engine/result.js";
export { getMetrics, saveState, printSummary, type MetricsReport } from "./cli/observability.js";
export {
  ErrorCode,
  WorkflowError,
  PlanValidationError,
  GoalNotUnderstoodError,
  CancelledError,
  ensureWorkflowError,
  type SerializedError,
} from "./model/errors.js";
export { ActionType, PlanSchema, TaskSpec, type Plan, type PlanInput } from "./model/plan-schema.js";
export { validatePlan, findCycle } from "./plan/validate.js";
export { resolveTemplates, findReferences } from "./plan/template.js";
export { toMermaid } from "./plan/plan-graph.js";
export { buildGraph } from "./graph/build-graph.js";
export type { TaskState, TaskStatus, RunStatus } from "./model/task-state.js";
export type { Planner, PlanResult, PlanRequest, LlmUsage } from "./model/planner.js";
export * as workflows from "../workflows/index.js";
export { renderGraph, toDot, type GraphFormat } from "./plan/plan-graph.js";
export type { RunRecord, ListRunsOptions } from "./persistence/run-store.js";
