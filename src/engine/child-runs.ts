import type { ChildRunIdentity, ChildWorkflows } from "../actions/types.js";
import { ErrorCode, WorkflowError } from "../model/errors.js";
import type { RunRecord } from "../persistence/run-store.js";
import type { RunOptions } from "./engine-options.js";
import type { WorkflowResult } from "./result.js";
import type { WorkflowCall } from "./workflow-library.js";
import { outsideGraphContext } from "../graph/untraced-context.js";

/** What child runs need of the engine. */
export interface ChildRunHost {
  record(runId: string): Promise<RunRecord | undefined>;
  run(call: WorkflowCall, options: RunOptions): Promise<WorkflowResult>;
  resume(runId: string, options: { signal: AbortSignal }): Promise<WorkflowResult>;
  finished(runId: string): Promise<WorkflowResult>;
}

/**
 * Runs a `workflow` task's child: a run of its own (own id, own lease, own checkpoints) linked to the parent.
 * The child's id is derived from the parent's and the task's, so a repeated attempt (a crash, a re-delivery)
 * resumes the same child, or reads it when it has finished, instead of starting another. The attempt's signal
 * (the parent cancelled, failed or timed out) cancels the child.
 */
export class ChildRuns implements ChildWorkflows {
  constructor(private readonly host: ChildRunHost) {}

  run(call: { name: string; version?: string; inputs: Record<string, unknown> }, child: ChildRunIdentity, signal: AbortSignal) {
    return outsideGraphContext(() => this.runChild(call, child, signal));
  }

  private async runChild(
    call: { name: string; version?: string; inputs: Record<string, unknown> },
    child: ChildRunIdentity,
    signal: AbortSignal,
  ) {
    const existing = await this.host.record(child.runId);
    const parent = { run_id: child.parentRunId, task_id: child.parentTaskId };
    const result = !existing
      ? await this.host.run(
          { workflow: call.name, inputs: call.inputs, ...(call.version ? { version: call.version } : {}) },
          { runId: child.runId, signal, parent },
        )
      : existing.finished_at
        ? await this.host.finished(child.runId)
        : await this.host.resume(child.runId, { signal });
    if (result.status === "completed" || result.status === "completed_with_errors") return result.outputs ?? {};
    const why = result.status === "awaiting_approval" ? "waits for approval (approve it, then resume this run)" : `ended ${result.status}`;
    throw new WorkflowError(
      ErrorCode.SubworkflowFailed,
      `The sub-workflow ${result.workflow ?? call.name} (child run ${child.runId}) ${why}${result.error ? `: ${result.error.code}: ${result.error.message}` : ""}. See it with: runs show ${child.runId}`,
      { retryable: false, details: { child_run_id: child.runId, status: result.status } },
    );
  }
}
