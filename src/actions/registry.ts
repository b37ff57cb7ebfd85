import { inputIssues } from "../model/zod-issues.js";
import type { z } from "zod";
import { ErrorCode, WorkflowError } from "../model/errors.js";
import type { ActionType } from "../model/plan-schema.js";
import { apiCall } from "./api-call/run.js";
import { dbQuery } from "./db-query/run.js";
import { fileOperation } from "./file-operation/run.js";
import type { ActionHandler } from "./handler.js";
import { transformData } from "./transform-data/run.js";
import type { ActionContext } from "./types.js";
import { guardAttempt } from "../safety/limits/escape-guard.js";
import { wait } from "./wait/run.js";
import { workflow } from "./workflow/run.js";

/** Every action type's handler; a type without one is a compile error. */
const actions = {
  api_call: apiCall,
  db_query: dbQuery,
  file_operation: fileOperation,
  transform_data: transformData,
  wait,
  workflow,
} satisfies { [K in ActionType]: ActionHandler };

/**
 * Validate `rawConfig` (already templated) against the action's schema, then run the action; an error that
 * escapes it (a driver's callback, an unhandled rejection) fails this attempt instead of the process.
 */
export async function runAction(type: ActionType, rawConfig: unknown, ctx: ActionContext): Promise<unknown> {
  const handler: ActionHandler = actions[type];
  const parsed = handler.schema.safeParse(rawConfig, { reportInput: true });
  if (!parsed.success) throw configInvalid(type, parsed.error);
  return guardAttempt(() => handler.run(parsed.data, ctx));
}

function configInvalid(type: ActionType, error: z.ZodError): WorkflowError {
  const issues = inputIssues(error).map((i) => ({ ...i, path: i.path || "(config)" }));
  const lines = issues.map((i) => `  - ${i.path}: ${i.message}`);
  return new WorkflowError(
    ErrorCode.ActionConfigInvalid,
    `The ${type} action config is invalid:\n${lines.join("\n")}\nFix these fields in the task's action_config.`,
    { retryable: false, details: { action_type: type, issues } },
  );
}
