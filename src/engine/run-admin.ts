import type { WorkflowGraph } from "../graph/build-graph.js";
import type { Persistence } from "../persistence/open-persistence.js";
import type { RunRecord } from "../persistence/run-store.js";
import type { TaskStatus } from "../model/task-state.js";
import { replayCheckpoints } from "./checkpoint-replay.js";
import type { WorkflowStateValue } from "../graph/workflow-state.js";
import type { WorkflowResult } from "./result.js";

/** One checkpoint of a run, as `runs history` lists it. */
export interface CheckpointSummary {
  checkpoint_id: string;
  step: number;
  created_at?: string;
  /** The node(s) that run next from this checkpoint. */
  next: string[];
  status?: string;
  tasks: Partial<Record<TaskStatus, number>>;
}

/**
 * Delete every run last updated before `cutoff`, checkpoints and writes included. An unfinished run
 * counts as updated at its latest checkpoint, so a run still going (in any process) is never pruned,
 * while one that was interrupted long ago is.
 */
export async function pruneRuns(persistence: Persistence, cutoff: Date): Promise<string[]> {
  const pruned: string[] = [];
  for (const id of await persistence.runs.updatedBefore(cutoff)) {
    const record = await persistence.runs.get(id);
    if (!record?.finished_at) {
      const latest = await persistence.checkpointer.getTuple({ configurable: { thread_id: id } });
      if (latest && Date.parse(latest.checkpoint.ts) >= cutoff.getTime()) continue;
    }
    await persistence.checkpointer.deleteThread(id);
    await persistence.runs.delete(id);
    pruned.push(id);
  }
  return pruned;
}

/**
 * The run's checkpoints, newest first, each with its step, next node and task counts; read once and folded
 * forward (src/engine/checkpoint-replay.ts), so it costs the number of checkpoints, not its square.
 */
export async function runHistory(graph: WorkflowGraph, runId: string, limit: number): Promise<CheckpointSummary[]> {
  return (await replayCheckpoints(graph, runId, limit)).map(({ snapshot: snap, tasks }) => {
    const values = snap.values as Partial<WorkflowStateValue>;
    return {
      checkpoint_id: String(snap.config.configurable?.checkpoint_id ?? ""),
      step: Number(snap.metadata?.step ?? -1),
      ...(snap.createdAt ? { created_at: snap.createdAt } : {}),
      next: [...snap.next],
      ...(values.context?.status ? { status: values.context.status } : {}),
      tasks,
    };
  });
}

/** A run as one JSON document: its record, result, execution history and checkpoints. */
export function exportRun(
  record: RunRecord,
  result: WorkflowResult,
  state: WorkflowStateValue,
  checkpoints: CheckpointSummary[],
): Record<string, unknown> {
  return { format: "agentic-workflow-engine/run@1", record, result, memory: state.memory, history: state.history, checkpoints };
}

/** Parse `30d`, `12h`, `45m`, `90s` into milliseconds; undefined when malformed. */
export function parseAge(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(d|h|m|s)$/i.exec(text.trim());
  if (!m) return undefined;
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }[(m[2] ?? "d").toLowerCase() as "d" | "h" | "m" | "s"];
  return Number(m[1]) * unit;
}
