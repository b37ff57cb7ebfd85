import { resolveInWorkspace } from "../actions/file-operation/workspace-path.js";
import { ErrorCode, ensureWorkflowError, WorkflowError } from "../model/errors.js";
import type { Plan, TaskSpec } from "../model/plan-schema.js";
import type { RunSafety } from "../model/safety-policy.js";
import { ENV_ROOT } from "../plan/env-reference.js";
import { findReferences, resolveTemplates } from "../plan/template.js";
import { refusedByPolicy } from "../safety/approval/approval.js";
import { checkDestination } from "../safety/network/guard.js";
import { envScope } from "../safety/secrets/access.js";
import { checkSql } from "../safety/sql/guard.js";

/** What a refusal before running needs to know about the run. */
export interface PreflightContext {
  safety: RunSafety;
  workspace: string;
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * Refuse, before anything runs, what the plan already shows the guards would refuse when its task runs: a
 * literal path outside the workspace, SQL the run may not run (a write in a read-only run, COPY, DO...), a
 * literal URL with another scheme or an untrusted non-public IP, a mutating task under `--approve never`, an
 * `{{env.X}}` that is not set or not allowed. Values built from `{{references}}` are checked when they run.
 * Throws PLAN_REFUSED naming every task and why (the CLI exits 2; nothing was run or recorded).
 */
export async function preflight(plan: Plan, context: PreflightContext): Promise<void> {
  const refusals: { task: string; code: string; message: string }[] = [];
  for (const task of plan.tasks) {
    try {
      await checkTask(task, context);
    } catch (error) {
      const e = ensureWorkflowError(error);
      refusals.push({ task: task.id, code: e.code, message: e.message });
    }
  }
  if (refusals.length === 0) return;
  const lines = refusals.map((r) => `  - task "${r.task}": ${r.code}: ${r.message}`);
  throw new WorkflowError(ErrorCode.PlanRefused, `The plan was refused before anything ran:\n${lines.join("\n")}`, {
    retryable: false,
    details: { refusals },
  });
}

async function checkTask(task: TaskSpec, { safety, workspace, env }: PreflightContext): Promise<void> {
  const refused = refusedByPolicy(task, safety);
  if (refused) throw refused;
  for (const ref of findReferences(task.action_config).refs) {
    if (ref.root !== ENV_ROOT) continue;
    resolveTemplates(`{{${ref.raw}}}`, { results: {}, variables: {}, taskIds: new Set(), env: envScope(env, safety) });
  }
  const config = task.action_config as Record<string, unknown>;
  const literal = (key: string): string | undefined => {
    const value = config[key];
    return typeof value === "string" && !value.includes("{{") ? value : undefined;
  };
  switch (task.action_type) {
    case "file_operation": {
      const path = literal("path");
      if (path !== undefined) await resolveInWorkspace(workspace, path);
      return;
    }
    case "db_query": {
      const query = literal("query");
      if (query !== undefined) await checkSql(query, { allowWrites: safety.allowWrites });
      return;
    }
    case "api_call": {
      const url = literal("url");
      if (url !== undefined && URL.canParse(url)) checkDestination(new URL(url), safety.trustedHosts);
      return;
    }
    default:
      return;
  }
}
