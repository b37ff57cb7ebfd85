import { randomUUID } from "node:crypto";
import { type ErrorCode, PlanValidationError, WorkflowError } from "../model/errors.js";
import { Schedule, ScheduleInput } from "../model/schedule.js";
import { inputIssues } from "../model/zod-issues.js";
import { validatePlan } from "./validate.js";

export interface ScheduleEntryOptions {
  /** INPUT_INVALID for a request to the server, CONFIG_INVALID for the CLI (exit 2). */
  code: typeof ErrorCode.InputInvalid | typeof ErrorCode.ConfigInvalid;
  now?: Date;
  /** How a field is named in the message (the CLI names its flags: `cron` -> `--cron`). */
  fieldName?: (path: string) => string;
}

/**
 * Validate a user's schedule and make it a stored one: defaults applied, an id given (`sch-<uuid>`) when none was.
 * A plan is checked the way a run checks it (src/plan/validate.ts), so a schedule never fires a plan that cannot
 * run. This lives in the plan layer, not beside the schema in model, because model may not import the validator.
 */
export function parseScheduleInput(raw: unknown, options: ScheduleEntryOptions): Schedule {
  const parsed = ScheduleInput.safeParse(raw, { reportInput: true });
  const name = options.fieldName ?? ((p: string) => p);
  if (!parsed.success) {
    const issues = inputIssues(parsed.error);
    const what = issues.map((i) => (i.path ? `${name(i.path)}: ${i.message}` : i.message)).join("; ");
    throw new WorkflowError(options.code, `Invalid schedule: ${what}.`, { details: { issues } });
  }
  const { id, plan, ...rest } = parsed.data;
  if (plan !== undefined) checkPlan(plan, rest.variables);
  return Schedule.parse({
    ...rest,
    ...(plan === undefined ? {} : { plan }),
    id: id ?? `sch-${randomUUID()}`,
    created_at: (options.now ?? new Date()).toISOString(),
  });
}

function checkPlan(plan: Record<string, unknown>, variables: Record<string, unknown> | undefined): void {
  try {
    validatePlan(plan, { variables: Object.keys(variables ?? {}) });
  } catch (err) {
    // The plan's own code (PLAN_INVALID, PLAN_CYCLE) and its issue list, each path under `plan`.
    if (err instanceof PlanValidationError) {
      throw new PlanValidationError(
        err.issues.map((i) => ({ path: i.path ? `plan.${i.path}` : "plan", message: i.message })),
        err.code,
      );
    }
    throw err;
  }
}
