// The top of a run page: what the run is, where it stands, and the decisions a person can take on it.
import { api, runPath } from "./api.js";
import { button, el } from "./dom.js";
import { formatDuration, isFinished, token } from "./format.js";
import type { RunAccepted, RunDetail } from "./types.js";

/** Called after an action was accepted (the page re-reads the run) or refused (the page shows why). */
export interface ActionHooks {
  accepted(): void;
  failed(error: unknown): void;
}

function metricsLine(run: RunDetail): string {
  const m = run.metrics;
  const n = (key: string) => (typeof m[key] === "number" ? (m[key] as number) : 0);
  const parts = [
    `${n("tasks_completed")} completed, ${n("tasks_failed")} failed, ${n("tasks_skipped")} skipped of ${n("tasks_total") || run.tasks.length}`,
    `retries ${n("retries")}`,
    `wall ${formatDuration(n("wall_ms"))}`,
  ];
  if (n("paused_ms")) parts.push(`paused ${formatDuration(n("paused_ms"))}`);
  return parts.join(" · ");
}

/** Title, status, goal, metrics and the run's error. */
export function renderHeader(run: RunDetail): HTMLElement {
  return el(
    "div",
    { class: "run-header" },
    el(
      "h2",
      {},
      el("span", { class: "run-id" }, run.workflow_id),
      " ",
      el("span", { id: "run-status", class: `badge status-${token(run.status)}`, "data-status": token(run.status) }, run.status),
    ),
    run.goal ? el("p", { class: "goal" }, run.goal) : null,
    el("p", { class: "muted" }, metricsLine(run)),
    run.error && ["failed", "rolled_back", "rollback_failed"].includes(run.status)
      ? el("p", { class: "error" }, `${run.error.code}: ${run.error.message}`)
      : null,
  );
}

async function act(runId: string, action: "approve" | "reject" | "cancel", body: object, hooks: ActionHooks): Promise<void> {
  try {
    await api<RunAccepted>("POST", runPath(runId, `/${action}`), body);
    hooks.accepted();
  } catch (error) {
    hooks.failed(error);
  }
}

/** Approve / reject on a paused run, cancel on a running one; nothing on a finished run. */
export function renderActions(run: RunDetail, hooks: ActionHooks): HTMLElement {
  const id = run.workflow_id;
  if (run.status === "awaiting_approval") {
    const waiting = (run.approval?.tasks ?? []).map((t) => el("li", {}, el("strong", {}, t.id), ` (${t.action_type}): ${t.action}`));
    const reason = el("input", { type: "text", placeholder: "Reason (optional)", "aria-label": "Reason for rejecting", maxlength: "2000" });
    return el(
      "div",
      { class: "actions approval" },
      el("p", {}, "Waiting for approval:"),
      el("ul", {}, ...waiting),
      button("Approve", () => act(id, "approve", {}, hooks), { class: "primary", id: "approve" }),
      " ",
      reason,
      " ",
      button("Reject", () => act(id, "reject", reason.value ? { reason: reason.value } : {}, hooks), { class: "danger", id: "reject" }),
    );
  }
  if (!isFinished(run.status)) {
    return el(
      "div",
      { class: "actions" },
      button("Cancel run", () => confirm(`Cancel run ${id}?`) && act(id, "cancel", {}, hooks), { class: "danger", id: "cancel" }),
    );
  }
  return el("div", { class: "actions" });
}
