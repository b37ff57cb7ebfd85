import type { WorkflowEvent } from "../model/events.js";
import { describeApproval } from "./approval-text.js";
import type { WorkflowResult } from "../engine/result.js";
import { SecretScrubber } from "../safety/secrets/scrubber.js";
import { terminalText } from "./terminal-text.js";

/**
 * What the CLI prints, scrubbed (again) of secrets: the engine's results already are, this also covers
 * runs stored before scrubbing existed. Default scrubber: the process environment's secrets.
 */
export function printable<T>(value: T, secrets: SecretScrubber = SecretScrubber.fromEnv(process.env)): T {
  return secrets.scrub(value);
}

function excerpt(value: unknown, max = 80): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  if (text === undefined) return "";
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** One plain line per event (no escape codes, also none from a server's answer), for stderr while a run goes on. */
export function formatEvent(e: WorkflowEvent): string | undefined {
  const line = eventLine(e);
  return line === undefined ? undefined : terminalText(line);
}

function eventLine(e: WorkflowEvent): string | undefined {
  const task = e.task_id ? `${e.task_id}${e.action_type ? ` (${e.action_type})` : ""}` : "";
  switch (e.type) {
    case "run_started":
      return `run ${e.run_id} started`;
    case "plan_ready":
      return `plan ready: ${e.detail ?? ""}`;
    case "task_started":
      return `  started   ${task} attempt ${e.attempt ?? 1}`;
    case "task_completed":
      return `  completed ${task} in ${e.duration_ms ?? 0} ms`;
    case "task_failed":
      return `  failed    ${task} attempt ${e.attempt ?? 1}: ${e.error?.code} ${excerpt(e.error?.message, 160)}`;
    case "task_retry":
      return `  retry     ${task} in ${e.delay_ms ?? 0} ms`;
    case "task_modified":
      return `  modified  ${task}: ${e.detail ?? ""}`;
    case "task_skipped":
      return `  skipped   ${task}: ${e.detail ?? ""}`;
    case "run_completed":
      return `run ${e.run_id} ${e.status ?? "ended"}`;
    case "approval_requested":
      return `run ${e.run_id} paused: waiting for approval of ${e.detail ?? "tasks"}`;
    case "rollback_started":
      return `run ${e.run_id} rolling back: ${e.detail ?? ""}`;
  }
}

/**
 * A readable summary of a finished run (stdout), safe for a terminal (control characters escaped): status, task counts and retries, wall time, critical path and
 * parallel speedup (sum of task times / wall time), LLM calls and tokens, plan cache hit; then one line per task.
 */
export function formatSummary(result: WorkflowResult, secrets?: SecretScrubber): string {
  // Scrubbed before excerpts are cut: a secret cut in half would no longer be recognised.
  const r = printable(result, secrets);
  const m = r.metrics;
  const lines = [
    `Workflow ${r.workflow_id}: ${r.status}`,
    r.goal ? `Goal: ${r.goal}` : undefined,
    r.workflow ? `Workflow file: ${r.workflow}` : undefined,
    r.parent ? `Parent: run ${r.parent.run_id}, task ${r.parent.task_id} (runs show ${r.parent.run_id})` : undefined,
    r.planner
      ? `Plan: ${r.planner === "provided" ? "given" : `by the ${r.planner} planner`}${m.plan_cache_hit ? " (from the plan cache, no planning)" : ""}`
      : undefined,
    `Tasks: ${m.tasks_completed} completed, ${m.tasks_failed} failed, ${m.tasks_skipped} skipped of ${m.tasks_total}; retries ${m.retries}`,
    `Time: ${m.wall_ms} ms wall${m.paused_ms ? ` (and ${m.paused_ms} ms paused for approval)` : ""}, critical path ${m.critical_path_ms} ms, parallel speedup ${m.parallel_speedup}x`,
    `LLM: ${m.llm_calls} calls, ${m.llm_tokens} tokens`,
    `Plan cache: ${m.plan_cache_hit ? "hit" : "no hit"}`,
    "",
  ];
  for (const t of r.tasks) {
    const outcome =
      t.status === "completed"
        ? excerpt(t.result)
        : t.status === "skipped"
          ? (t.skip_reason ?? "")
          : t.error
            ? `${t.error.code}: ${excerpt(t.error.message, 200)}`
            : "";
    lines.push(`  ${t.status.padEnd(9)} ${t.id.padEnd(18)} ${t.action_type.padEnd(14)} ${outcome}`);
    if (t.child_run_id) lines.push(`  ${"".padEnd(9)} ${"".padEnd(18)} child run ${t.child_run_id} (runs show ${t.child_run_id})`);
  }
  if (r.outputs) lines.push("", `Outputs: ${excerpt(r.outputs, 400)}`);
  if (r.error && ["failed", "rolled_back", "rollback_failed"].includes(r.status))
    lines.push("", `Error: ${r.error.code}: ${r.error.message}`);
  if (r.approval) lines.push("", describeApproval(r.workflow_id, r.approval));
  return terminalText(lines.filter((l) => l !== undefined).join("\n"));
}

/** The `--json` form: the result with the fields the CLI documents. */
export function toJsonOutput(result: WorkflowResult, secrets?: SecretScrubber): Record<string, unknown> {
  const r = printable(result, secrets);
  return {
    workflow_id: r.workflow_id,
    status: r.status,
    ...(r.goal ? { goal: r.goal } : {}),
    ...(r.planner ? { planner: r.planner } : {}),
    ...(r.error ? { error: r.error } : {}),
    tasks: r.tasks,
    metrics: r.metrics,
    ...(r.approval ? { approval: r.approval } : {}),
    ...(r.workflow ? { workflow: r.workflow } : {}),
    ...(r.outputs ? { outputs: r.outputs } : {}),
    ...(r.parent ? { parent: r.parent } : {}),
  };
}
