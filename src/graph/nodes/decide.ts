import { interrupt } from "@langchain/langgraph";
import { type ApprovalDecision, approvalHold, approvalRequest } from "../../safety/approval/approval.js";
import { safetyOf } from "../../model/safety-policy.js";
import { selectBlocked, selectReady, transitiveDependents } from "../../scheduler/ready.js";
import { indexOf } from "../../scheduler/task-index.js";
import type { HistoryEntry, TaskPatch, TaskState } from "../../model/task-state.js";
import type { WorkflowStateUpdate, WorkflowStateValue } from "../workflow-state.js";
import type { GraphDeps } from "../graph-deps.js";

/**
 * `decide`: mark the tasks whose dependencies are met as running, up to the concurrency limit.
 * Mutating tasks that need approval are held; once nothing else runs, the run pauses (LangGraph
 * `interrupt()`) until a person approves or rejects them. The pause happens only when no task is in
 * flight, and this node has no side effects before it, so resuming (which runs the node again) repeats
 * nothing.
 */
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
    const rt = deps.runtime(state.context.workflow_id);
    if (rt.signal.aborted) return { tasks, history };
    const hold = approvalHold(state.tasks, safetyOf(state.context));
    const ready = selectReady(state.tasks, state.context.concurrency, now, tasks, hold);
    if (hold && hold.held.length > 0 && ready.length === 0 && indexOf(state.tasks).running.size === 0) {
      const held = hold.held.map((id) => state.tasks[id] as TaskState);
      const decision = interrupt<ReturnType<typeof approvalRequest>, ApprovalDecision>(approvalRequest(held));
      applyDecision(decision, held, state.tasks, { tasks, history }, at);
      for (const t of held) {
        if (tasks[t.id]?.approval === "approved") ready.push(t.id);
      }
    }
    for (const id of ready.slice(0, Math.max(1, state.context.concurrency - indexOf(state.tasks).running.size))) {
      const task = state.tasks[id];
      if (!task) continue;
      tasks[id] = { ...tasks[id], status: "running", attempts: task.attempts + 1, started_at: at, retry_at: undefined };
      history.push({ at, event: "task_started", task_id: id, attempt: task.attempts + 1 });
    }
    return { tasks, history };
  };
}

/** Approved tasks may start; rejected ones are skipped, and so are the tasks that depend on them. */
function applyDecision(
  decision: ApprovalDecision,
  held: readonly TaskState[],
  all: Readonly<Record<string, TaskState>>,
  { tasks, history }: { tasks: Record<string, TaskPatch>; history: HistoryEntry[] },
  at: string,
): void {
  const chosen = new Set(decision.tasks ?? held.map((t) => t.id));
  const by = decision.by ? ` by ${decision.by}` : "";
  for (const t of held) {
    if (!chosen.has(t.id)) continue;
    if (decision.approve) {
      tasks[t.id] = { approval: "approved" };
      history.push({ at, event: "task_approved", task_id: t.id, detail: `approved${by}` });
    } else {
      const detail = `rejected at approval${by}${decision.reason ? `: ${decision.reason}` : ""}`;
      tasks[t.id] = { approval: "rejected", status: "skipped", skip_reason: detail };
      history.push({ at, event: "task_rejected", task_id: t.id, detail });
      for (const id of transitiveDependents(all, t.id)) {
        if (all[id]?.status !== "pending" || tasks[id]) continue;
        tasks[id] = { status: "skipped", skip_reason: `dependency "${t.id}" was rejected` };
        history.push({ at, event: "task_skipped", task_id: id, detail: `dependency "${t.id}" was rejected` });
      }
    }
  }
}
