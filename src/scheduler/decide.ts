import type { TaskState } from "../model/task-state.js";
import { type ApprovalDecision, approvalHold } from "../safety/approval/approval.js";
import { safetyOf } from "../model/safety-policy.js";
import { selectBlocked, selectReady, transitiveDependents } from "./ready.js";
import type { RunLoop } from "./run-loop.js";
import { emptyStep, type RunView, type StepChanges } from "./run-view.js";
import { indexOf } from "./task-index.js";
import { markRunning, markSkipped } from "./transitions.js";

/** What the decide step found: changes so far, the tasks that may start, and the held tasks to ask about. */
export interface Selection {
  step: StepChanges;
  ready: string[];
  /** Mutating tasks waiting for a person, when nothing else can run: the run must pause and ask. */
  ask?: TaskState[];
}

/**
 * Pick what may start: pending tasks whose dependencies all completed and whose retry time has come.
 * Pending tasks that can never start (a dependency failed or was skipped) are skipped. Under approve mode
 * "ask", mutating tasks are held; once nothing else runs, `ask` names them.
 */
export function selectToStart(view: RunView, loop: RunLoop, now: number): Selection {
  const at = new Date(now).toISOString();
  const step = emptyStep();
  // Safety net: the failure step already skips dependents, but a pending task whose dependency can never
  // complete must not keep the run waiting.
  for (const { id, blocker, byCondition } of selectBlocked(view.tasks)) {
    const why = byCondition
      ? `condition: dependency "${blocker}" was skipped by its condition`
      : `dependency "${blocker}" did not complete`;
    markSkipped(step, id, why, at, byCondition);
  }
  if (loop.signal.aborted) return { step, ready: [] };
  const hold = approvalHold(view.tasks, safetyOf(view.context));
  const ready = selectReady(view.tasks, view.context.concurrency, now, step.tasks, hold);
  if (hold && hold.held.length > 0 && ready.length === 0 && indexOf(view.tasks).running.size === 0) {
    return { step, ready, ask: hold.held.map((id) => view.tasks[id] as TaskState) };
  }
  return { step, ready };
}

/** Mark the selected tasks running, up to the concurrency limit. */
export function startSelected(view: RunView, selection: Selection, now: number): StepChanges {
  const at = new Date(now).toISOString();
  const room = Math.max(1, view.context.concurrency - indexOf(view.tasks).running.size);
  for (const id of selection.ready.slice(0, room)) {
    const task = view.tasks[id];
    if (task) markRunning(selection.step, task, at);
  }
  return selection.step;
}

/** A person's decision on the held tasks: approved ones may start, rejected ones are skipped with their dependents. */
export function applyApproval(view: RunView, selection: Selection, decision: ApprovalDecision, now: number): void {
  const { step } = selection;
  const held = selection.ask ?? [];
  const at = new Date(now).toISOString();
  const chosen = new Set(decision.tasks ?? held.map((t) => t.id));
  const by = decision.by ? ` by ${decision.by}` : "";
  for (const t of held) {
    if (!chosen.has(t.id)) continue;
    if (decision.approve) {
      step.tasks[t.id] = { approval: "approved" };
      step.history.push({ at, event: "task_approved", task_id: t.id, detail: `approved${by}` });
      selection.ready.push(t.id);
      continue;
    }
    const detail = `rejected at approval${by}${decision.reason ? `: ${decision.reason}` : ""}`;
    step.tasks[t.id] = { approval: "rejected", status: "skipped", skip_reason: detail };
    step.history.push({ at, event: "task_rejected", task_id: t.id, detail });
    for (const id of transitiveDependents(view.tasks, t.id)) {
      if (view.tasks[id]?.status !== "pending" || step.tasks[id]) continue;
      markSkipped(step, id, `dependency "${t.id}" was rejected`, at);
    }
  }
}
