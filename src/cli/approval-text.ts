import type { ApprovalRequest } from "../safety/approval/approval.js";

/** Lines telling a person what a paused run waits for and how to continue it. */
export function describeApproval(runId: string, waiting: ApprovalRequest): string {
  const tasks = waiting.tasks.map((t) => `  - ${t.id}: ${t.action}`).join("\n");
  return (
    `Run ${runId} is paused: these tasks change things and wait for approval:\n${tasks}\n` +
    `Approve them: node main.js runs approve ${runId}\n` +
    `Reject them:  node main.js runs reject ${runId} [--reason "..."]`
  );
}
