import type { TraceCarrier } from "../model/trace-carrier.js";
import type { Logger } from "../../utils/logger.js";
import type { HostResolver } from "../safety/network/guard.js";
import type { RunSafety } from "../model/safety-policy.js";

/** How one query runs: every query runs alone in its own transaction, with these bounds. */
export interface SqlQueryOptions {
  /** Run in a READ ONLY transaction: the database refuses writes (SQLSTATE 25006). */
  readOnly: boolean;
  /** The query's statement_timeout in milliseconds; 0: none. */
  statementTimeoutMs: number;
  /** More rows than this fail the query with ROW_LIMIT and roll it back. */
  maxRows: number;
  /** Rows past this many bytes (as the database sends them) fail the query with RESULT_TOO_LARGE while they are read. */
  maxResultBytes: number;
}

/** A SQL connection the engine owns: PostgreSQL through `pg`, or the embedded PGlite. */
export interface SqlClient {
  readonly kind: "postgres" | "pglite";
  /** Run one statement with bound parameters in a transaction of its own, committed unless it failed or was cancelled. */
  query(
    text: string,
    params: readonly unknown[],
    signal: AbortSignal,
    options: SqlQueryOptions,
  ): Promise<{ rows: unknown[]; rowCount: number }>;
  close(): Promise<void>;
}

/** Who the child run of a `workflow` task is: its own run id (deterministic) and the task that started it. */
export interface ChildRunIdentity {
  runId: string;
  parentRunId: string;
  parentTaskId: string;
}

/** What the `workflow` action runs child runs through (the engine implements it). */
export interface ChildWorkflows {
  /**
   * Run the library workflow as the child run `child.runId` and resolve with its outputs; a child run that exists
   * already (a repeated attempt after a crash) is resumed, or read when it has finished. The signal cancels it.
   */
  run(
    call: { name: string; version?: string; inputs: Record<string, unknown> },
    child: ChildRunIdentity,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>>;
}

/** Shared resources, created lazily by the engine and closed by it when it closes. */
interface ActionResources {
  /** The SQL client for `db_query` (opened on first use). */
  sql(): Promise<SqlClient>;
  /** Child runs for the `workflow` action; absent where no library is wired (the action then fails). */
  workflows?: ChildWorkflows;
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
  /** How `api_call` resolves host names (default: the system resolver); tests inject one to stage DNS rebinding. */
  readonly resolver?: HostResolver;
  /** The attempt's span when tracing is on: api_call sends it as `traceparent`. */
  readonly trace?: TraceCarrier;
}
