import type { FiringRecord, Schedule } from "../model/schedule.js";

/** What the schedule starts, on one line. */
function targetText(s: Schedule): string {
  if (s.goal !== undefined) return `goal ${JSON.stringify(s.goal)}`;
  if (s.workflow !== undefined)
    return `workflow ${s.workflow}${s.inputs && Object.keys(s.inputs).length ? ` ${JSON.stringify(s.inputs)}` : ""}`;
  const tasks = Array.isArray(s.plan?.tasks) ? s.plan.tasks.length : 0;
  return `plan (${tasks} task${tasks === 1 ? "" : "s"})`;
}

/** A schedule as `schedules add` and `show` print it. */
export function scheduleText(s: Schedule, next: readonly Date[]): string {
  const lines = [
    `${s.id}${s.paused ? "  (paused)" : ""}`,
    `  cron        ${s.cron} (${s.tz})`,
    `  runs        ${targetText(s)}`,
    ...(s.variables && Object.keys(s.variables).length ? [`  variables   ${JSON.stringify(s.variables)}`] : []),
    `  overlap     ${s.overlap}`,
    `  catch-up    ${s.catch_up}`,
    `  created     ${s.created_at}`,
    ...(s.last_fire_at ? [`  last fired  ${s.last_fire_at}${s.last_run_id ? `  run ${s.last_run_id}` : ""}`] : []),
    ...(s.paused ? [] : [`  next        ${next.length ? next.map((d) => d.toISOString()).join(", ") : "never"}`]),
  ];
  return lines.join("\n");
}

/** One line per schedule for `schedules list`. */
export function scheduleLine(s: Schedule, next: Date | undefined): string {
  const state = s.paused ? "paused" : `next ${next?.toISOString() ?? "never"}`;
  return `${s.id}  ${s.cron} (${s.tz})  ${state}  ${targetText(s)}`;
}

/** A schedule's recent firings for `schedules show`. */
export function firingsText(firings: readonly FiringRecord[]): string {
  if (firings.length === 0) return "  no firings yet";
  return firings.map((f) => `  ${f.fire_at}  ${f.outcome.padEnd(15)} ${f.run_id ?? ""}`.trimEnd()).join("\n");
}
