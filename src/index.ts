export { WorkflowEngine } from "./engine/workflow-engine.js";
export type { EngineOptions, RunOptions } from "./engine/engine-options.js";
export type { WorkflowEvent, WorkflowEventType, EventListener } from "./model/events.js";
export { computeMetrics, type RunMetrics, type TaskReport, type WorkflowResult } from "./engine/result.js";
export { getMetrics, saveState, printSummary, type MetricsReport } from "./cli/observability.js";
export {
  ErrorCode,
  WorkflowError,
  PlanValidationError,
  GoalNotUnderstoodError,
  CancelledError,
  RunBusyError,
  ensureWorkflowError,
  type LeaseHolderInfo,
  type SerializedError,
} from "./model/errors.js";
export { ActionType, PlanSchema, TASK_ID, TaskSpec, type Plan, type PlanInput, type TaskSpecInput } from "./model/plan-schema.js";
export { HttpMethodField } from "./model/action-config/api-call.js";
export { TransformOperation } from "./model/action-config/transform-data.js";
export { validatePlan, findCycle } from "./plan/validate.js";
export { resolveTemplates, findReferences } from "./plan/template.js";
export { toMermaid } from "./plan/plan-graph.js";
export { buildGraph } from "./graph/build-graph.js";
export type { TaskState, TaskStatus, RunStatus } from "./model/task-state.js";
export {
  PlannerKind,
  PlannerSetting,
  PlanOrigin,
  type Planner,
  type PlanResult,
  type PlanRequest,
  type LlmUsage,
} from "./model/planner.js";
export { renderGraph, toDot, type GraphFormat } from "./plan/plan-graph.js";
export type { RunRecord, ListRunsOptions } from "./persistence/run-store.js";
export type { FailureAdvisor, Advice, AdviceInput, AdviceDecision } from "./model/advisor.js";
export {
  WorkflowDefinition,
  type WorkflowDefinitionInput,
  type WorkflowInputSpec,
  InputType,
  compareVersions,
  parseWorkflowRef,
  workflowRef,
} from "./model/workflow-schema.js";
export type { WorkflowCall, WorkflowLibrary, WorkflowSummary, LibraryEntry } from "./engine/workflow-library.js";
export type { SearchHit } from "./engine/workflow-search.js";
export type { Suggestion } from "./engine/workflow-suggest.js";
export { parseWorkflowText, readWorkflowFile } from "./engine/workflow-file.js";
export { workflowJsonSchema } from "./model/workflow-json-schema.js";
