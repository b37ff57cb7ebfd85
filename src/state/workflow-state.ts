import { Annotation } from "@langchain/langgraph";
import type { Plan } from "../plan/schema.js";
import type { HistoryEntry, RunContext, TaskPatch, TaskState } from "./task-state.js";

/** Merge per-task patches into the task map; a task's own fields are shallow-merged. */
export function mergeTasks(
  current: Record<string, TaskState>,
  update: Record<string, TaskPatch>,
): Record<string, TaskState> {
  const next = { ...current };
  for (const [id, patch] of Object.entries(update)) {
    const base = next[id];
    next[id] = (base ? { ...base, ...patch } : patch) as TaskState;
  }
  return next;
}

/** The LangGraph state of one run. Every channel is plain JSON so any checkpointer can store it. */
export const WorkflowState = Annotation.Root({
  context: Annotation<RunContext, Partial<RunContext>>({
    reducer: (a, b) => ({ ...a, ...b }),
    default: () => ({ workflow_id: "", status: "planning", started_at: "", concurrency: 8 }),
  }),
  /** The validated plan, as it was when the run started. */
  workflow_plan: Annotation<Plan | null>({ reducer: (_a, b) => b, default: () => null }),
  tasks: Annotation<Record<string, TaskState>, Record<string, TaskPatch>>({
    reducer: mergeTasks,
    default: () => ({}),
  }),
  /** Shared memory: the workflow variables and anything tasks publish for later tasks. */
  memory: Annotation<Record<string, unknown>>({ reducer: (a, b) => ({ ...a, ...b }), default: () => ({}) }),
  history: Annotation<HistoryEntry[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
  /** Failed attempts waiting for the failure node's decision. */
  pending_failures: Annotation<string[]>({ reducer: (_a, b) => b, default: () => [] }),
});

export type WorkflowStateValue = typeof WorkflowState.State;
export type WorkflowStateUpdate = typeof WorkflowState.Update;
