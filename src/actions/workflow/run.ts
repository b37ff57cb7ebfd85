import { ErrorCode, WorkflowError } from "../../model/errors.js";
import { WorkflowCallConfig } from "../../model/action-config/workflow.js";
import type { ActionHandler } from "../handler.js";

/**
 * The child run's id: the parent's id and the task's, so that a repeated attempt (after a crash) finds the same
 * child and resumes it instead of starting another.
 */
export function childRunId(parentRunId: string, taskId: string): string {
  return `${parentRunId}.${taskId.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

/** `workflow`: run a library workflow as a child run; the task's result is the child's outputs. */
export const workflow = {
  type: "workflow",
  schema: WorkflowCallConfig,
  async run(config, ctx): Promise<Record<string, unknown>> {
    const runner = ctx.resources.workflows;
    if (!runner) {
      throw new WorkflowError(
        ErrorCode.ConfigInvalid,
        `Task "${ctx.taskId}" runs the workflow "${config.name}", but this executor has no workflow library.`,
      );
    }
    const child = { runId: childRunId(ctx.runId, ctx.taskId), parentRunId: ctx.runId, parentTaskId: ctx.taskId };
    return runner.run(config, child, ctx.signal);
  },
} satisfies ActionHandler<typeof WorkflowCallConfig, Record<string, unknown>>;
