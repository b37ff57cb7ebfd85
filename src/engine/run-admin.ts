import type { WorkflowGraph } from "../graph/build-graph.js";
import type { Persistence } from "../persistence/open-persistence.js";
import type { RunRecord } from "../persistence/run-store.js";
import type { TaskStatus } from "../model/task-state.js";
import { replayCheckpoints } from "./checkpoint-replay.js";
import type { RunLeases } from "./lease-holder.js";
import { RunBusyError } from "../model/errors.js";
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
 * Delete every run last updated before `cutoff`, checkpoints and writes included, that nobody drives.
 * Each run is deleted under its own lease, so a run being driven (in any process) is skipped, and none
 * can start being driven while it is deleted. An unfinished run (running, awaiting approval) is deleted
 * only when its lease is free or expired and its latest checkpoint is older than the cutoff too: one
 * abandoned long ago (a crash nobody resumed, an approval nobody gave) goes, one merely between two
 * slow steps stays.
 */
export async function pruneRuns(persistence: Persistence, leases: RunLeases, cutoff: Date): Promise<string[]> {
  const pruned: string[] = [];
  for (const id of await persistence.runs.updatedBefore(cutoff)) {
    const deleted = await leases
      .hold(id, { purpose: "prune" }, async () => {
        const record = await persistence.runs.get(id);
        if (!record || Date.parse(record.updated_at) >= cutoff.getTime()) return false;
        if (!record.finished_at) {
          const latest = await persistence.checkpointer.getTuple({ configurable: { thread_id: id } });
          if (latest && Date.parse(latest.checkpoint.ts) >= cutoff.getTime()) return false;
        }
        await persistence.checkpointer.deleteThread(id);
        await persistence.runs.delete(id);
        return true;
      })
      .catch((err: unknown) => {
        if (err instanceof RunBusyError) return false;
        throw err;
      });
    if (deleted) pruned.push(id);
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
