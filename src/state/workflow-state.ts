import { Annotation, DeltaChannel } from "@langchain/langgraph";
import { EphemeralValue } from "@langchain/langgraph/channels";
import type { Plan } from "../plan/schema.js";
import type { HistoryEntry, RunContext, TaskPatch, TaskState } from "./task-state.js";

/** Merge batches of per-task patches into the task map (one copy per batch); a task's fields are shallow-merged. */
export function mergeTasks(
  current: Record<string, TaskState>,
  updates: readonly Record<string, TaskPatch>[],
): Record<string, TaskState> {
  const next = { ...current };
  for (const update of updates) {
    for (const [id, patch] of Object.entries(update)) {
      const base = next[id];
      next[id] = (base ? { ...base, ...patch } : patch) as TaskState;
    }
  }
  return next;
}

/** Steps between full snapshots of a delta channel (bounds the replay when a run is read back). */
const SNAPSHOT_EVERY = 500;

/** The LangGraph state of one run. Every channel is plain JSON so any checkpointer can store it. */
export const WorkflowState = Annotation.Root({
  context: Annotation<RunContext, Partial<RunContext>>({
    reducer: (a, b) => ({ ...a, ...b }),
    default: () => ({ workflow_id: "", status: "planning", started_at: "", concurrency: 8 }),
  }),
  /** A plan given with the input (instead of a goal); read once by the plan node, then cleared, since the
   * tasks carry it from then on (keeping it would re-store the whole plan in every checkpoint). */
  workflow_plan: () => new EphemeralValue<Plan | null>(false),
  // Delta channels: a checkpoint stores each step's writes, not the whole map again, so a run's
  // checkpoints grow with the number of steps, not with its square (LangGraph's DeltaChannel, beta).
  tasks: () =>
    new DeltaChannel<Record<string, TaskState>, Record<string, TaskPatch>>(mergeTasks, {
      initialValueFactory: () => ({}),
      snapshotFrequency: SNAPSHOT_EVERY,
    }),
  /** Shared memory: the workflow variables and anything tasks publish for later tasks. */
  memory: Annotation<Record<string, unknown>>({ reducer: (a, b) => ({ ...a, ...b }), default: () => ({}) }),
  history: () =>
    new DeltaChannel<HistoryEntry[], HistoryEntry[]>((state, writes) => state.concat(...writes), {
      initialValueFactory: () => [],
      snapshotFrequency: SNAPSHOT_EVERY,
    }),
  /** Failed attempts waiting for the failure node's decision. */
  pending_failures: Annotation<string[]>({ reducer: (_a, b) => b, default: () => [] }),
});

export type WorkflowStateValue = typeof WorkflowState.State;
export type WorkflowStateUpdate = typeof WorkflowState.Update;
