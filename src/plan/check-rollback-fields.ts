import { jsonata } from "../../utils/jsonata.js";
import type { PlanIssue } from "../model/errors.js";
import { ActionConfigSchemas, type TaskSpec } from "../model/plan-schema.js";
import { SELF_ROOT } from "../model/verify-rule.js";
import { inputIssues } from "../model/zod-issues.js";
import { ENV_ROOT, envReferenceIssue } from "./env-reference.js";
import { findReferences } from "./template.js";

/**
 * A task's `verify` and `compensate`, checked before anything runs: every assertion compiles as JSONata; the
 * compensation's config is valid for its action type, and refers only to `{{self...}}` (the task's own result),
 * the task's dependencies, variables and `{{env.NAME}}`.
 */
export function rollbackFieldIssues(
  task: TaskSpec,
  at: string,
  dependencies: readonly string[],
  variables: ReadonlySet<string>,
): PlanIssue[] {
  const issues: PlanIssue[] = [];
  for (const [j, rule] of (task.verify ?? []).entries()) {
    try {
      jsonata(rule.assert);
    } catch (err) {
      const why = (err as { message?: string }).message ?? String(err);
      issues.push({ path: `${at}.verify[${j}].assert`, message: `${JSON.stringify(rule.assert)} is not a JSONata expression: ${why}` });
    }
  }
  const c = task.compensate;
  if (!c) return issues;
  const config = ActionConfigSchemas[c.action_type].safeParse(c.action_config, { reportInput: true });
  if (!config.success) issues.push(...inputIssues(config.error, `${at}.compensate.action_config`));
  const { refs, malformed } = findReferences(c.action_config);
  for (const m of malformed) issues.push({ path: `${at}.compensate.action_config`, message: `malformed reference ${m}` });
  for (const ref of refs) {
    if (ref.root === SELF_ROOT || dependencies.includes(ref.root) || variables.has(ref.root)) continue;
    if (ref.root === ENV_ROOT) {
      const issue = envReferenceIssue(ref);
      if (issue) issues.push({ path: `${at}.compensate.action_config`, message: issue });
      continue;
    }
    issues.push({
      path: `${at}.compensate.action_config`,
      message: `{{${ref.raw}}} is not {{self...}} (the task's own result), a dependency of "${task.id}" or a variable`,
    });
  }
  return issues;
}
