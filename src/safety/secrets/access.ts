import { ErrorCode, PlanValidationError, WorkflowError } from "../../model/errors.js";
import { ENV_ROOT, envNameOf } from "../../plan/env-reference.js";
import type { Plan } from "../../model/plan-schema.js";
import { findReferences } from "../../plan/template.js";
import { isSecretField, REDACTED } from "./patterns.js";
import type { PlanAuthor, RunSafety } from "../../model/safety-policy.js";

/** Config fields a secret travels in even when their names do not say so. */
const CARRIERS = new Set(["url", "headers", "params"]);

/**
 * The environment variables a run may read: those its plan refers to with `{{env.NAME}}`, fixed at
 * the start (kept in RunSafety.envNames). A plan a model wrote may read none: it is refused with
 * PLAN_INVALID, so a planner cannot send the environment anywhere.
 */
export function envNamesAllowed(plan: Plan, author: PlanAuthor): string[] {
  const names = new Set<string>();
  const issues: { path: string; message: string }[] = [];
  for (const [i, task] of plan.tasks.entries()) {
    for (const ref of findReferences([task.action_config, task.on_failure]).refs) {
      const name = ref.root === ENV_ROOT ? envNameOf(ref) : undefined;
      if (name === undefined) continue;
      names.add(name);
      if (author === "model") {
        issues.push({
          path: `tasks[${i}].action_config`,
          message:
            `{{${ref.raw}}} reads the environment, which only plans you write may do; the planner wrote this one. ` +
            `Write the plan yourself (a plan file) with {{env.${name}}} where the secret goes`,
        });
      }
    }
  }
  if (issues.length) throw new PlanValidationError(issues, ErrorCode.PlanInvalid);
  return [...names].sort();
}

/** The environment a task's references may read: the run's allowed names, with their values in `env`. */
export function envScope(
  env: Readonly<Record<string, string | undefined>>,
  safety: Pick<RunSafety, "envNames">,
): Record<string, string | undefined> {
  const scope: Record<string, string | undefined> = {};
  for (const name of safety.envNames ?? []) scope[name] = env[name];
  return scope;
}

/**
 * The values a run reads with `{{env.NAME}}`: every one is treated as a secret, whatever its name says
 * (a server may echo any of them back into a result), so the engine's scrubber learns them when a run
 * starts or continues.
 */
export function envValues(env: Readonly<Record<string, string | undefined>>, safety: Pick<RunSafety, "envNames">): string[] {
  return Object.values(envScope(env, safety)).filter((value): value is string => typeof value === "string" && value !== "");
}

/**
 * SECRET_UNAVAILABLE when a resolved config would send `[redacted]` where a secret goes (a secret
 * field, a URL, headers, query parameters): a secret written literally in a plan is not stored, so
 * after a resume (or an approval) it is gone, and the request must not go out without it.
 */
export function refuseRedactedSecrets(config: unknown, taskId: string): void {
  const field = redactedField(config, "", false, 0);
  if (field === undefined) return;
  throw new WorkflowError(
    ErrorCode.SecretUnavailable,
    `Task "${taskId}" would send ${REDACTED} as ${field}: the secret written in the plan was not kept when the run was saved ` +
      "(secrets are never stored in checkpoints), so it is not available after a resume or an approval. " +
      "Put secrets in the plan as {{env.NAME}}, read from the environment when the task starts, and run the plan again.",
    { retryable: false, details: { task_id: taskId, field } },
  );
}

function redactedField(value: unknown, path: string, carrier: boolean, depth: number): string | undefined {
  if (typeof value === "string") return carrier && value.includes(REDACTED) ? path || "the config" : undefined;
  if (typeof value !== "object" || value === null || depth > 32) return undefined;
  for (const [key, v] of Object.entries(value)) {
    const at = Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    const found = redactedField(v, at, carrier || isSecretField(key) || (depth === 0 && CARRIERS.has(key)), depth + 1);
    if (found) return found;
  }
  return undefined;
}
