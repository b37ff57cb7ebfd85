import { selectBlocked, selectReady } from "../../scheduler/ready.js";
import type { HistoryEntry, TaskPatch } from "../../state/task-state.js";
import type { WorkflowStateUpdate, WorkflowStateValue } from "../../state/workflow-state.js";
import type { GraphDeps } from "../graph-deps.js";

/** `decide`: mark the tasks whose dependencies are met as running, up to the concurrency limit. */
export function decideNode(deps: GraphDeps) {
  return (state: WorkflowStateValue): WorkflowStateUpdate => {
    const now = deps.now();
    const at = new Date(now).toISOString();
    const tasks: Record<string, TaskPatch> = {};
    const history: HistoryEntry[] = [];
    // Safety net: the failure node already skips dependents, but a pending task whose dependency
    // can never complete must not keep the run waiting.
    for (const { id, blocker } of selectBlocked(state.tasks)) {
      const detail = `dependency "${blocker}" did not complete`;
      tasks[id] = { status: "skipped", skip_reason: detail };
      history.push({ at, event: "task_skipped", task_id: id, detail });
    }
    if (deps.runtime(state.context.workflow_id).signal.aborted) return { tasks, history };
    for (const id of selectReady(state.tasks, state.context.concurrency, now)) {
      const task = state.tasks[id];
      if (!task) continue;
      tasks[id] = { status: "running", attempts: task.attempts + 1, started_at: at, retry_at: undefined };
      history.push({ at, event: "task_started", task_id: id, attempt: task.attempts + 1 });
    }
    return { tasks, history };
  };
}
