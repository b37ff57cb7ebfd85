/**
 * Every error the engine raises, each with a stable code. Errors carry the retry decision
 * (`retryable`, `retryAfterMs`); the failure policy reads it and never parses messages.
 */

export const ErrorCode = {
  PlanInvalid: "PLAN_INVALID",
  PlanCycle: "PLAN_CYCLE",
  GoalNotUnderstood: "GOAL_NOT_UNDERSTOOD",
  ConfigInvalid: "CONFIG_INVALID",
  ActionConfigInvalid: "ACTION_CONFIG_INVALID",
  TemplateUnresolved: "TEMPLATE_UNRESOLVED",
  HttpStatus: "HTTP_STATUS",
  HttpTimeout: "HTTP_TIMEOUT",
  PollDeadline: "POLL_DEADLINE",
  Network: "NETWORK_ERROR",
  Database: "DB_ERROR",
  FileOutsideWorkspace: "FILE_OUTSIDE_WORKSPACE",
  FileNotFound: "FILE_NOT_FOUND",
  FileError: "FILE_ERROR",
  Transform: "TRANSFORM_ERROR",
  /** A JSONata evaluation ran past its time, memory or depth bound (limits.transformTimeoutSeconds, maxTransformBytes). */
  TransformLimit: "TRANSFORM_LIMIT",
  Cancelled: "CANCELLED",
  Llm: "LLM_ERROR",
  RunNotFound: "RUN_NOT_FOUND",
  RunExists: "RUN_EXISTS",
  RunFinished: "RUN_FINISHED",
  /** Guardrails (src/safety): each refusal names its rule and the setting that allows it. */
  NetworkRefused: "NETWORK_REFUSED",
  SqlRefused: "SQL_REFUSED",
  RowLimit: "ROW_LIMIT",
  FileTooLarge: "FILE_TOO_LARGE",
  ResponseTooLarge: "RESPONSE_TOO_LARGE",
  /** A db_query result over limits.maxResultBytes, refused while it was read. */
  ResultTooLarge: "RESULT_TOO_LARGE",
  TaskTimeout: "TASK_TIMEOUT",
  RunDeadline: "RUN_DEADLINE",
  PlanTooLarge: "PLAN_TOO_LARGE",
  /** A guard would refuse a task the plan already shows (checked before anything runs). */
  PlanRefused: "PLAN_REFUSED",
  LlmBudget: "LLM_BUDGET_EXCEEDED",
  ApprovalRefused: "APPROVAL_REFUSED",
  ApprovalRejected: "APPROVAL_REJECTED",
  NotAwaitingApproval: "NOT_AWAITING_APPROVAL",
  SecretUnavailable: "SECRET_UNAVAILABLE",
  /** REDIS_URL is set but Redis does not answer (refused, silent, wrong password...): only `runs watch` fails on it. */
  RedisUnavailable: "REDIS_UNAVAILABLE",
  Internal: "INTERNAL_ERROR",
  /** Another process holds the run's lease (it is driving the run, or deleting it). */
  RunBusy: "RUN_BUSY",
  /** This process held the run's lease and lost it: it stopped driving the run. */
  LeaseLost: "LEASE_LOST",
  /** Another process has the embedded database (PGlite) of this workspace open. */
  DatabaseBusy: "DB_BUSY",
  /** A request to the server (`serve`) is malformed: the field, the value given and what is allowed. */
  InputInvalid: "INPUT_INVALID",
  /** A request body over the server's size limit. */
  InputTooLarge: "INPUT_TOO_LARGE",
  /** A client sent more requests than the server's rate limit allows. */
  RateLimited: "RATE_LIMITED",
  /** No such route on the server. */
  NotFound: "NOT_FOUND",
  /** The server is shutting down and takes no new runs. */
  ServerDraining: "SERVER_DRAINING",
  ScheduleNotFound: "SCHEDULE_NOT_FOUND",
  /** The server wants its token (SERVER_TOKEN) and the request did not carry it. */
  Unauthorized: "UNAUTHORIZED",
  /** A task's action succeeded but a `verify` assertion on its result was false. */
  VerifyFailed: "VERIFY_FAILED",
  /** A rolled-back run could not undo everything: the message names what is left. */
  RollbackFailed: "ROLLBACK_FAILED",
  /** The process stopped driving the run (it is shutting down); the run is left resumable. */
  RunSuspended: "RUN_SUSPENDED",
  /** A workflow file or library entry is invalid: the field, the value given and what is allowed. */
  WorkflowInvalid: "WORKFLOW_INVALID",
  /** No workflow of that name (or version) in the library. */
  WorkflowNotFound: "WORKFLOW_NOT_FOUND",
  /** That name@version is in the library with other content: versions are immutable. */
  WorkflowExists: "WORKFLOW_EXISTS",
  /** A sub-workflow's child run did not complete. */
  SubworkflowFailed: "SUBWORKFLOW_FAILED",

  /** The task queue (Redis, `--executor queue`) did not take an attempt: it is retried like a network error. */
  QueueUnavailable: "QUEUE_UNAVAILABLE",
  /**
   * An attempt handed to a queue worker ended without an outcome: the worker died twice while holding it (stalled
   * past maxStalledCount), it threw outside the action, or the job vanished with a Redis that lost its data. Retryable.
   */
  AttemptLost: "ATTEMPT_LOST",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface WorkflowErrorOptions {
  retryable?: boolean;
  retryAfterMs?: number;
  cause?: unknown;
  details?: Record<string, unknown>;
}

/** Base of every engine error: a stable `code`, the retry decision, and context in `details`. */
export class WorkflowError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: WorkflowErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "WorkflowError";
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details ?? {};
  }

  /** The serialisable form stored in task state and printed by `--json`. */
  toJSON(): SerializedError {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(this.retryAfterMs === undefined ? {} : { retry_after_ms: this.retryAfterMs }),
      ...(Object.keys(this.details).length === 0 ? {} : { details: this.details }),
    };
  }
}

export interface SerializedError {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  retry_after_ms?: number;
  details?: Record<string, unknown>;
}

/** One problem found while validating a plan; `path` points into the plan (e.g. `tasks[2].action_config.url`). */
export interface PlanIssue {
  path: string;
  message: string;
}

/** A plan that cannot run: duplicate ids, unknown dependencies, a cycle, a bad action config... */
export class PlanValidationError extends WorkflowError {
  readonly issues: readonly PlanIssue[];
  constructor(rawIssues: readonly PlanIssue[], code: ErrorCode = ErrorCode.PlanInvalid) {
    // A hostile plan can put a megabyte into an id or a key; the message quotes it, so keep it short.
    const issues = rawIssues.map((i) => ({ path: clip(i.path), message: clip(i.message) }));
    const lines = issues.map((i) => `  - ${i.path ? `${i.path}: ` : ""}${i.message}`);
    super(code, `The plan is invalid:\n${lines.join("\n")}\nFix the plan (or the goal) and run again.`, {
      details: { issues },
    });
    this.name = "PlanValidationError";
    this.issues = issues;
  }
}

const MAX_ISSUE_CHARS = 500;

function clip(text: string): string {
  if (text.length <= MAX_ISSUE_CHARS) return text;
  return `${text.slice(0, MAX_ISSUE_CHARS)}… (${text.length - MAX_ISSUE_CHARS} more characters)`;
}

/** The offline planner could not turn the goal into a plan it is sure of. Nothing has run. */
export class GoalNotUnderstoodError extends WorkflowError {
  readonly understood: readonly string[];
  readonly notUnderstood: readonly string[];
  constructor(goal: string, understood: readonly string[], notUnderstood: readonly string[]) {
    const got = understood.length ? `It understood:\n${understood.map((u) => `  - ${u}`).join("\n")}\n` : "";
    const missed = notUnderstood.map((u) => `  - "${u}"`).join("\n");
    super(
      ErrorCode.GoalNotUnderstood,
      `The offline rule-based planner could not understand the goal "${goal}".\n${got}` +
        `It did not understand:\n${missed}\n` +
        "Nothing was run. To proceed: rephrase the goal (see README, 'Goals the offline planner understands'), " +
        "set OPENAI_API_KEY (and OPENAI_BASE_URL for a local server such as Ollama) to plan with an LLM, " +
        "or write the plan yourself and run it as a plan file.",
      { details: { understood, not_understood: notUnderstood } },
    );
    this.name = "GoalNotUnderstoodError";
    this.understood = understood;
    this.notUnderstood = notUnderstood;
  }
}

/** Raised when a run or task is aborted through its AbortSignal. */
export class CancelledError extends WorkflowError {
  constructor(reason = "the task was cancelled") {
    super(ErrorCode.Cancelled, reason, { retryable: false });
    this.name = "CancelledError";
  }
}

/** Who holds a run's lease, as RUN_BUSY and LEASE_LOST name it. */
export interface LeaseHolderInfo {
  host: string;
  pid: number;
  /** What it does with the run: run, resume, approve, reject, delete, prune. */
  purpose: string;
  /** When it took the lease, and until when it holds it unless renewed (ISO times). */
  since: string;
  until: string;
}

/** Describe a lease holder in a message: "pid 123 on host h (resume) since ..., lease until ...". */
export function describeHolder(h: LeaseHolderInfo): string {
  return `pid ${h.pid} on host ${h.host} (${h.purpose}) since ${h.since}, lease until ${h.until}`;
}

/** Another process drives (or deletes) the run: it holds the run's lease. Nothing was done. */
export class RunBusyError extends WorkflowError {
  readonly runId: string;
  readonly holder: LeaseHolderInfo;
  constructor(runId: string, holder: LeaseHolderInfo, waitedMs?: number) {
    const waited = waitedMs === undefined ? "" : ` (waited ${(waitedMs / 1000).toFixed(1)} s)`;
    super(
      ErrorCode.RunBusy,
      `Run "${runId}" is busy: ${describeHolder(holder)}${waited}. Nothing was done. ` +
        "Wait for it (waitSeconds), or try again once it has finished (a crashed holder's lease expires by itself).",
      { retryable: true, details: { run_id: runId, holder } },
    );
    this.name = "RunBusyError";
    this.runId = runId;
    this.holder = holder;
  }
}

/** Who holds an embedded database's lock file (src/actions/db-query/pglite-lock.ts). */
export interface DatabaseHolder {
  host: string;
  pid: number;
  pidScope?: string;
  since: string;
}

/** The embedded database's data directory is open in another process (PGlite serves one process at a time). */
export class DatabaseBusyError extends WorkflowError {
  readonly dataDir: string;
  constructor(dataDir: string, lockFile: string, holder: DatabaseHolder | undefined, waitedMs: number) {
    const who = holder ? `pid ${holder.pid} on host ${holder.host} since ${holder.since}` : "another process";
    super(
      ErrorCode.DatabaseBusy,
      `The embedded database ${dataDir} is in use by ${who} (waited ${(waitedMs / 1000).toFixed(1)} s); ` +
        "PGlite opens a data directory from one process at a time. Wait for that run to finish and try again, " +
        `or set DATABASE_URL to a PostgreSQL server that several processes can share. If no such process is running, delete ${lockFile}.`,
      { retryable: true, retryAfterMs: 5_000, details: { data_dir: dataDir, lock_file: lockFile, ...(holder ? { holder } : {}) } },
    );
    this.name = "DatabaseBusyError";
    this.dataDir = dataDir;
  }
}

/** Normalise anything thrown into a WorkflowError; unknown errors are not retryable. */
export function ensureWorkflowError(err: unknown): WorkflowError {
  if (err instanceof WorkflowError) return err;
  if (err instanceof Error) {
    if (err.name === "AbortError") return new CancelledError(err.message);
    return new WorkflowError(ErrorCode.Internal, err.message, { cause: err });
  }
  return new WorkflowError(ErrorCode.Internal, String(err));
}

/** A workflow file (or its inputs) that cannot run: every problem, each naming the field and the value given. */
export class WorkflowValidationError extends WorkflowError {
  readonly issues: readonly PlanIssue[];
  constructor(what: string, rawIssues: readonly PlanIssue[], code: ErrorCode = ErrorCode.WorkflowInvalid) {
    const issues = rawIssues.map((i) => ({ path: clip(i.path), message: clip(i.message) }));
    const lines = issues.map((i) => `  - ${i.path ? `${i.path}: ` : ""}${i.message}`);
    const count = issues.length === 1 ? "1 problem" : `${issues.length} problems`;
    super(code, `${what}: ${count}:\n${lines.join("\n")}\nNothing was run.`, { details: { issues } });
    this.name = "WorkflowValidationError";
    this.issues = issues;
  }
}
