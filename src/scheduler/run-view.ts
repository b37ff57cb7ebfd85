import type { HistoryEntry, RunContext, TaskPatch, TaskState } from "../model/task-state.js";

/** What the run loop reads of a run's state (the graph state has this shape). */
export interface RunView {
  context: RunContext;
  tasks: Record<string, TaskState>;
  /** Shared memory; `variables` holds the workflow variables. */
  memory: Record<string, unknown>;
  /** Failed attempts waiting for the failure policy. */
  pending_failures: string[];
}

/** What one step of the run loop changes (merged into the state by its reducers). */
export interface StepUpdate {
  tasks?: Record<string, TaskPatch>;
  history?: HistoryEntry[];
  context?: Partial<RunContext>;
  pending_failures?: string[];
}

/** A step being built: task patches and the history lines that explain them. */
export interface StepChanges {
  tasks: Record<string, TaskPatch>;
  history: HistoryEntry[];
}

export function emptyStep(): StepChanges {
  return { tasks: {}, history: [] };
}
