import type { WorkflowStateValue } from "../graph/workflow-state.js";
import type { ListRunsOptions, RunRecord } from "../persistence/run-store.js";
import type { PastRun } from "./workflow-suggest.js";

/** What reading the history for `library.suggest` needs of the engine. */
interface History {
  historyExists(): boolean;
  listRuns(options: ListRunsOptions): Promise<RunRecord[]>;
  getState(runId: string): Promise<WorkflowStateValue | undefined>;
}

/** Runs that completed (with or without errors; not library workflows themselves), newest 1,000, their loop items left out. */
export async function pastRuns(engine: History): Promise<PastRun[]> {
  if (!engine.historyExists()) return [];
  const runs: PastRun[] = [];
  for (const r of await engine.listRuns({ limit: 1000 })) {
    if (!r.finished_at || (r.status !== "completed" && r.status !== "completed_with_errors")) continue;
    const state = await engine.getState(r.run_id);
    if (!state || state.context.workflow) continue;
    runs.push({
      runId: r.run_id,
      startedAt: state.context.started_at,
      tasks: Object.values(state.tasks).filter((t) => t.loop_of === undefined),
    });
  }
  return runs;
}
