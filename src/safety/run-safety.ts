import type { Logger } from "../../utils/logger.js";
import { ErrorCode, WorkflowError } from "../model/errors.js";
import type { Plan } from "../model/plan-schema.js";
import { envNamesAllowed } from "./secrets/access.js";
import { authorOf, type RunSafety, type SafetySettings } from "../model/safety-policy.js";
import { hostsWrittenIn, normaliseHostEntry } from "./network/trusted-hosts.js";
import type { PlanOrigin } from "../model/planner.js";

export interface RunSafetyInput {
  settings: SafetySettings;
  plan: Plan;
  planner: PlanOrigin;
  goal?: string;
  variables: Record<string, unknown>;
  logger: Logger;
}

/**
 * Fix a run's safety policy at its start. Trusted hosts are the ones the user wrote: in the goal text,
 * in a plan file, in variables (each URL's host and port), and in the allowlist (a bare host: any port).
 * Never the hosts a planner invented.
 */
export function buildRunSafety(input: RunSafetyInput): RunSafety {
  const { settings, plan, planner } = input;
  const author = authorOf(planner);
  const written = new Set<string>();
  if (input.goal !== undefined) hostsWrittenIn(input.goal, written);
  hostsWrittenIn(input.variables, written);
  if (planner === "provided") hostsWrittenIn(plan, written);
  for (const entry of settings.allowHosts) written.add(normaliseHostEntry(entry));
  if (plan.allow_writes && planner !== "provided") {
    input.logger.warn({ planner }, "allow_writes in a planned plan is ignored; set allowWrites: true to let SQL write");
  }
  const { maxTasks } = settings.limits;
  if (plan.tasks.length > maxTasks) {
    throw new WorkflowError(
      ErrorCode.PlanTooLarge,
      `The plan has ${plan.tasks.length} tasks, over the limit of ${maxTasks}. ` +
        "Split the work into smaller plans, or raise the limit (limits.maxTasks).",
      { details: { tasks: plan.tasks.length, limit: maxTasks } },
    );
  }
  return {
    author,
    // Already canonical: normalising a written `host:80` again would drop its port and trust every port.
    trustedHosts: [...written],
    allowWrites: settings.allowWrites || (planner === "provided" && plan.allow_writes === true),
    approve: settings.approve ?? (author === "user" ? "auto" : "ask"),
    limits: settings.limits,
    // A model's plan that reads the environment is refused here (PLAN_INVALID), before anything runs.
    envNames: envNamesAllowed(plan, author),
  };
}
