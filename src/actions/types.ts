import type { Logger } from "../../utils/logger.js";
import type { RunSafety } from "../safety/safety-policy.js";

/** A SQL connection the engine owns: PostgreSQL through `pg`, or the embedded PGlite. */
export interface SqlClient {
  readonly kind: "postgres" | "pglite";
  query(text: string, params: readonly unknown[], signal: AbortSignal): Promise<{ rows: unknown[]; rowCount: number }>;
  close(): Promise<void>;
}

/** Shared resources, created lazily by the engine and closed by it when it closes. */
export interface ActionResources {
  /** The SQL client for `db_query` (opened on first use). */
  sql(): Promise<SqlClient>;
}

/** Everything an action may use; actions touch no globals. */
export interface ActionContext {
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly attempt: number;
  readonly runId: string;
  readonly taskId: string;
  /** Absolute, real path of the workspace; file paths are relative to it. */
  readonly workspace: string;
  readonly resources: ActionResources;
  /** The run's safety policy: trusted hosts, SQL writes, limits. */
  readonly safety: RunSafety;
}
