import { inputIssues } from "../model/zod-issues.js";
import { mkdirSync, realpathSync } from "node:fs";
import path from "node:path";
import { ErrorCode, WorkflowError } from "../model/errors.js";
import { type EngineOptions, EngineSettings } from "./engine-options.js";

export type Settings = ReturnType<typeof EngineSettings.parse>;

/** Settings from the options, with environment variables as defaults for the ones users set per machine. */
export function parseSettings(options: EngineOptions, env: Record<string, string | undefined>): Settings {
  const {
    planner: _p,
    advisor: _a,
    env: _e,
    logger: _l,
    checkpointer: _c,
    onEvent: _o,
    onNotice: _n,
    executor: _x,
    telemetry: _t,
    metrics: _m,
    ...plain
  } = options;
  const planner = typeof options.planner === "string" ? options.planner : undefined;
  const executor = typeof options.executor === "string" ? options.executor : undefined;
  const fromEnv = {
    ...(env.REDIS_PREFIX ? { redisPrefix: env.REDIS_PREFIX } : {}),
    ...(env.RETENTION_DAYS ? { retentionDays: Number(env.RETENTION_DAYS) } : {}),
    ...(env.PLAN_CACHE_TTL_SECONDS ? { planCacheTtlSeconds: Number(env.PLAN_CACHE_TTL_SECONDS) } : {}),
    ...(env.CHECKPOINT_SCHEMA ? { checkpointSchema: env.CHECKPOINT_SCHEMA } : {}),
    ...(env.LEASE_SECONDS ? { leaseSeconds: Number(env.LEASE_SECONDS) } : {}),
    ...(env.WORKFLOWS_DIR ? { workflowsDir: env.WORKFLOWS_DIR } : {}),

    ...(env.EXECUTOR ? { executor: env.EXECUTOR } : {}),
  };
  // The allowlist adds up: ALLOW_HOSTS (comma-separated) and the hosts given in the options.
  const allowHosts = [...(env.ALLOW_HOSTS ?? "").split(","), ...(plain.allowHosts ?? [])].map((h) => h.trim()).filter(Boolean);
  const parsed = EngineSettings.safeParse(
    { ...fromEnv, ...plain, allowHosts, ...(planner ? { planner } : {}), ...(executor ? { executor } : {}) },
    { reportInput: true },
  );
  if (!parsed.success) {
    const what = inputIssues(parsed.error)
      .map((i) => `${i.path}: ${i.message}`)
      .join("; ");
    throw new WorkflowError(ErrorCode.ConfigInvalid, `Invalid engine options: ${what}.`);
  }
  return parsed.data;
}

/** The workspace folder, created when missing, as its real path. */
export function resolveWorkspace(dir: string): string {
  const absolute = path.resolve(dir);
  try {
    mkdirSync(absolute, { recursive: true });
    return realpathSync(absolute);
  } catch (err) {
    throw new WorkflowError(
      ErrorCode.ConfigInvalid,
      `The workspace "${absolute}" cannot be used: ${(err as Error).message}. Choose a workspace folder you can write to (workspace).`,
    );
  }
}
