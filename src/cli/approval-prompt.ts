import { userInfo } from "node:os";
import { createInterface } from "node:readline/promises";
import { describeApproval } from "./approval-text.js";
import type { WorkflowResult } from "../engine/result.js";
import type { WorkflowEngine } from "../engine/workflow-engine.js";

/** True when a person can answer on this terminal (stdin and stderr are both TTYs). */
export function canAsk(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

/**
 * `--approve ask` on a terminal: while the run waits for approval, show what it would do, ask y/N on
 * stderr, and continue the run with the answer. The pause itself is durable, so Ctrl-C here leaves the
 * run waiting for `runs approve` / `runs reject`.
 */
export async function askUntilDecided(engine: WorkflowEngine, first: WorkflowResult, err: (text: string) => void): Promise<WorkflowResult> {
  let result = first;
  while (result.status === "awaiting_approval" && result.approval) {
    err(describeApproval(result.workflow_id, result.approval));
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    let answer: string;
    try {
      answer = (await rl.question("Approve these tasks? [y/N] ")).trim().toLowerCase();
    } finally {
      rl.close();
    }
    const approve = answer === "y" || answer === "yes";
    result = await engine.decide(result.workflow_id, { approve, by: `${userInfo().username} (terminal)` });
  }
  return result;
}
