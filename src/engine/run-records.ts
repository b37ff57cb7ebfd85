import type { TraceCarrier } from "../model/telemetry.js";
import { ErrorCode, WorkflowError } from "../model/errors.js";
import type { Persistence } from "../persistence/open-persistence.js";
import type { WorkflowStateValue } from "../graph/workflow-state.js";
import type { RunSafety } from "../model/safety-policy.js";
import type { PlannedInput } from "../plan/plan-entry.js";
import type { WorkflowResult } from "./result.js";

/** The graph input that starts a run. */
export function initialState(a: {
  runId: string;
  planned: PlannedInput;
  variables: Record<string, unknown>;
  now: string;
  concurrency: number;
  safety: RunSafety;
  goal?: string;
  parent?: { run_id: string; task_id: string };

  /** Roll back what completed when the run fails (--rollback); else the plan's on_failure. */
  rollback?: boolean;
  /** The run's root span (tracing on). */
  trace?: TraceCarrier | undefined;
}) {
  const { planned } = a;
  const { workflow, outputs } = planned.plan;
  return {
    context: {
      workflow_id: a.runId,
      status: "planning" as const,
      started_at: a.now,
      concurrency: a.concurrency,
      planner: planned.planner,
      ...(a.rollback || planned.plan.on_failure === "compensate" ? { on_failure: "compensate" as const } : {}),
      ...(planned.cache ? { plan_cache: planned.cache } : {}),
      ...(planned.usage
        ? {
            llm_calls: planned.usage.calls,
            llm_prompt_tokens: planned.usage.prompt_tokens,
            llm_completion_tokens: planned.usage.completion_tokens,
          }
        : {}),
      ...(a.goal === undefined ? {} : { goal: a.goal }),
      ...(workflow === undefined ? {} : { workflow }),
      ...(outputs === undefined ? {} : { outputs }),
      ...(a.parent === undefined ? {} : { parent: a.parent }),

      ...(a.trace ? { trace: a.trace } : {}),
    },
    safety: a.safety,
    workflow_plan: planned.plan,
    memory: { variables: a.variables },
  };
}

/** Store a run's outcome in its record. */
export async function recordResult(persistence: Persistence, r: WorkflowResult): Promise<void> {
  await persistence.runs.upsert({
    run_id: r.workflow_id,
    status: r.status,
    created_at: r.started_at,
    updated_at: new Date().toISOString(),
    tasks_total: r.tasks.length,
    ...(r.finished_at ? { finished_at: r.finished_at } : {}),
    ...(r.goal ? { goal: r.goal } : {}),
  });
}

/** A run that failed before it had a plan (goal not understood, invalid plan) leaves no trace. */
export async function forgetUnplanned(persistence: Persistence, runId: string, state: WorkflowStateValue | undefined): Promise<void> {
  if (state && Object.keys(state.tasks).length > 0) return;
  await persistence.checkpointer.deleteThread(runId).catch(() => undefined);
  await persistence.runs.delete(runId).catch(() => undefined);
}

/** A run id that exists is never run again: a finished one is reported, an unfinished one is resumed instead. */
export async function refuseExisting(persistence: Persistence, runId: string): Promise<void> {
  const existing = await persistence.runs.get(runId);
  if (!existing) return;
  if (existing.finished_at) {
    throw new WorkflowError(
      ErrorCode.RunFinished,
      `Run "${runId}" already finished (${existing.status}) at ${existing.finished_at}; it was not run again. ` +
        `See it with: runs show ${runId}`,
      { details: { status: existing.status } },
    );
  }
  throw new WorkflowError(ErrorCode.RunExists, `Run "${runId}" exists and has not finished. Continue it with: runs resume ${runId}`);
}

export function notFound(runId: string, persistence: Persistence): WorkflowError {
  return new WorkflowError(
    ErrorCode.RunNotFound,
    `No run "${runId}" in the run history (${persistence.kind}: ${persistence.location}). List the runs with: runs list`,
  );
}
