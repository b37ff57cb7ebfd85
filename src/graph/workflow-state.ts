import { Annotation, DeltaChannel } from "@langchain/langgraph";
import { EphemeralValue } from "@langchain/langgraph/channels";
import type { Plan } from "../model/plan-schema.js";
import type { RunSafety } from "../model/safety-policy.js";
import { applyPatch } from "../scheduler/task-index.js";
import type { HistoryEntry, RunContext, TaskPatch, TaskState } from "../model/task-state.js";

/**
 * Merge batches of per-task patches into the task map; a task's fields are shallow-merged. The map is
 * updated in place: copying it at every step made a run quadratic in its length. That is safe because
 * applying a patch is idempotent (LangGraph may apply a step's writes to the live value twice, e.g. to
 * let a conditional edge read them before the step is committed) and because the engine writes
 * checkpoints synchronously (durability "sync"), so a snapshot of the map is serialised before the next
 * step changes it.
 */
export function mergeTasks(current: Record<string, TaskState>, updates: readonly Record<string, TaskPatch>[]): Record<string, TaskState> {
  for (const update of updates) for (const [id, patch] of Object.entries(update)) applyPatch(current, id, patch);
  return current;
}

/** Append history entries. Not in place: appending is not idempotent (see mergeTasks). */
function appendHistory(current: HistoryEntry[], writes: readonly HistoryEntry[][]): HistoryEntry[] {
  return current.concat(...writes);
}

/** Steps between full snapshots of a delta channel (bounds the replay when a run is read back). */
const SNAPSHOT_EVERY = 2000;

/** One channel object, shared by the state and the input schema (LangGraph compares channels by identity);
 * it is a template: each run gets its own copy. */
const workflowPlanChannel = new EphemeralValue<Plan | null>(false);

/**
 * The run's safety policy, fixed at its start: written once, so kept as a delta channel (stored with the
 * write, not again in every checkpoint as a plain channel would be: it was half of each checkpoint's bytes).
 */
const safetyChannel = new DeltaChannel<RunSafety | undefined, RunSafety>((_current, writes) => writes[writes.length - 1], {
  initialValueFactory: () => undefined,
  snapshotFrequency: SNAPSHOT_EVERY,
});

/** The channels a run's input may set: its context, a plan (or none, for a goal), its variables, its policy. */
const inputChannels = {
  context: Annotation<RunContext, Partial<RunContext>>({
    reducer: (a, b) => ({ ...a, ...b }),
    default: () => ({ workflow_id: "", status: "planning", started_at: "", concurrency: 8 }),
  }),
  /** A plan given with the input (instead of a goal); read once by the plan node, then cleared, since the
   * tasks carry it from then on (keeping it would re-store the whole plan in every checkpoint). */
  workflow_plan: () => workflowPlanChannel,
  /** Shared memory: the workflow variables and anything tasks publish for later tasks. */
  memory: Annotation<Record<string, unknown>>({ reducer: (a, b) => ({ ...a, ...b }), default: () => ({}) }),
  /** The safety policy, when the engine starts the run (a client of the Agent Server cannot write it). */
  safety: () => safetyChannel,
};

/** What an invocation may write: never tasks, history or failures (they come from the plan node and the run loop). */
export const WorkflowInput = Annotation.Root(inputChannels);

/** The LangGraph state of one run. Every channel is plain JSON so any checkpointer can store it. */
export const WorkflowState = Annotation.Root({
  ...inputChannels,
  // Delta channels: a checkpoint stores each step's writes, not the whole map again, so a run's
  // checkpoints grow with the number of steps, not with its square (LangGraph's DeltaChannel, beta).
  tasks: () =>
    new DeltaChannel<Record<string, TaskState>, Record<string, TaskPatch>>(mergeTasks, {
      initialValueFactory: () => ({}),
      snapshotFrequency: SNAPSHOT_EVERY,
    }),
  history: () =>
    new DeltaChannel<HistoryEntry[], HistoryEntry[]>(appendHistory, {
      initialValueFactory: () => [],
      snapshotFrequency: SNAPSHOT_EVERY,
    }),
  /** Failed attempts waiting for the failure node's decision. */
  pending_failures: Annotation<string[]>({ reducer: (_a, b) => b, default: () => [] }),
});

export type WorkflowStateValue = typeof WorkflowState.State;
export type WorkflowStateUpdate = typeof WorkflowState.Update;

/**
 * The state as the run loop reads it: the safety policy in its context (`safetyOf(view.context)`), as runs
 * from before the policy had its own channel stored it.
 */
export function runViewOf(state: WorkflowStateValue): WorkflowStateValue {
  const { safety } = state;
  return safety && state.context.safety !== safety ? { ...state, context: { ...state.context, safety } } : state;
}
