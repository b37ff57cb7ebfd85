import type { SerializedError } from "./errors.js";
import type { ActionType } from "./plan-schema.js";
import type { RunSafety } from "./safety-policy.js";
import type { TraceCarrier } from "./trace-carrier.js";
import type { VerifyRule } from "./verify-rule.js";

/**
 * The executor port: where the run loop hands a ready task attempt to something that runs it (this process
 * today, queue workers next), and how it learns the outcome. The contract (ARCHITECTURE.md, "Executors"):
 * - An attempt is identified by `attemptId(runId, taskId, attempt)`; the attempt number is written to the
 *   run's state (task `running`, `attempts = n`) before the attempt is launched.
 * - Delivery is at least once: an executor may run an attempt again after a crash, and deliver an outcome
 *   twice. The run loop keeps an outcome only if the task is still `running` with that attempt number, so a
 *   repeated or late outcome changes nothing. Actions that reach the outside world make repeats harmless
 *   (api_call sends `Idempotency-Key: <runId>:<taskId>`, the same for every attempt of a task).
 * - `abort` is best effort: the attempt's signal is aborted; its outcome (usually CANCELLED) still comes.
 */
export interface TaskAttempt {
  /** `attemptId(runId, taskId, attempt)`. */
  id: string;
  runId: string;
  taskId: string;
  /** 1 for the first attempt. */
  attempt: number;
  actionType: ActionType;
  /** The task's action_config as planned (or patched by `modify`), `{{references}}` not yet resolved. */
  config: Record<string, unknown>;
  /** Results of the completed tasks the config refers to (its dependencies). */
  results: Record<string, unknown>;
  /** The run's workflow variables. */
  variables: Record<string, unknown>;
  /** Ids of the tasks the config may refer to (a reference to any other id is text, not a reference). */
  dependencies: readonly string[];
  /** The run's safety policy, fixed when it started; an executor never widens it. */
  safety: RunSafety;
  /** Post-conditions checked on the result once the action succeeds (VERIFY_FAILED when one is false). */
  verify?: readonly VerifyRule[];
  /** The attempt's span when tracing is on: its worker's span continues it, api_call sends it as `traceparent`. */
  trace?: TraceCarrier;
}

/** How one attempt ended. */
export interface AttemptOutcome {
  attemptId: string;
  runId: string;
  taskId: string;
  attempt: number;
  ok: boolean;
  result?: unknown;
  error?: SerializedError;
  /** Epoch ms. */
  startedAt: number;
  endedAt: number;
  /**
   * Set by the run loop itself, never by an executor: the task's `when` was false (`skip`), or its `for_each`
   * list was read (`items`: one task per item is laid out).
   */
  control?: { skip: string } | { items: unknown[] };
}

export interface Executor {
  /** Start an attempt; `deliver` receives its outcome (exactly once per launch from this executor). */
  launch(attempt: TaskAttempt, deliver: (outcome: AttemptOutcome) => void): void;
  /** Ask a running attempt to stop; its outcome is still delivered. */
  abort(attemptId: string, reason: string): void;
  /** Resolves once every attempt launched so far has delivered its outcome. */
  drain(): Promise<void>;
  /** Release what the executor holds (connections); attempts not yet delivered are left to a resume. */
  close?(): Promise<void>;
  /** The depth of each queue and the workers serving it, for an executor that runs attempts through queues. */
  queueMetrics?(): Promise<QueueMetrics[]>;
}

/** One task queue as its broker counts it (BullMQ's job counts and connected workers). */
export interface QueueMetrics {
  queue: string;
  actionType: ActionType;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
  workers: number;
}

/** Where a run's task attempts run: in this process (default) or on queue workers (BullMQ over Redis). */
export const ExecutorKind = ["in-process", "queue"] as const;
export type ExecutorKind = (typeof ExecutorKind)[number];

/** The id of one attempt: stable across re-deliveries and resumes, unique per attempt. */
export function attemptId(runId: string, taskId: string, attempt: number): string {
  return `${runId}:${taskId}:${attempt}`;
}
