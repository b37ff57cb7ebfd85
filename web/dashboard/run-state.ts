// A live event moves the run page's copy of the run at once (the node turns colour without a round trip);
// the page then re-reads GET /runs/:id for what events do not carry (results, metrics).
import type { AttemptView, RunDetail, TaskStatus, WorkflowEvent } from "./types.js";

const TASK_STATUS: Partial<Record<WorkflowEvent["type"], TaskStatus>> = {
  task_started: "running",
  task_completed: "completed",
  task_failed: "failed",
  task_retry: "pending",
  task_skipped: "skipped",
};

function upsertAttempt(run: RunDetail, event: WorkflowEvent): void {
  if (!event.task_id || event.attempt === undefined) return;
  run.attempts ??= [];
  const attempts = run.attempts;
  let a: AttemptView | undefined = attempts.find((x) => x.task_id === event.task_id && x.attempt === event.attempt);
  if (event.type === "task_started") {
    if (!a) attempts.push({ task_id: event.task_id, attempt: event.attempt, started_at: event.at });
    return;
  }
  if (event.type !== "task_completed" && event.type !== "task_failed") return;
  if (!a) {
    // The start was before this page looked: the duration tells when it began.
    const started = new Date(Date.parse(event.at) - (event.duration_ms ?? 0)).toISOString();
    a = { task_id: event.task_id, attempt: event.attempt, started_at: started };
    attempts.push(a);
  }
  a.ended_at ??= event.at;
  a.outcome ??= event.type === "task_completed" ? "completed" : "failed";
}

/** Applies one event to the run (in place). Applying an event twice changes nothing more. */
export function applyEvent(run: RunDetail, event: WorkflowEvent): void {
  if (event.type === "run_completed" && event.status) run.status = event.status;
  else if (event.type === "approval_requested") run.status = "awaiting_approval";
  else if (event.type === "run_started" && run.status === "awaiting_approval") run.status = "running";
  const status = TASK_STATUS[event.type];
  const task = event.task_id ? run.tasks.find((t) => t.id === event.task_id) : undefined;
  if (!task || !status) return;
  // An event older than what the page already shows (a re-read raced it) must not move a task back.
  if (task.status === "completed" || task.status === "skipped") return;
  upsertAttempt(run, event);
  if (event.attempt !== undefined && event.attempt < task.attempts) return;
  task.status = status;
  if (event.attempt !== undefined) task.attempts = Math.max(task.attempts, event.attempt);
  if (event.error) task.error = event.error;
}
