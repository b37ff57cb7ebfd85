import { type Executor, ExecutorKind } from "../model/executor.js";
import { z } from "zod";
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import type { FailureAdvisor } from "../model/advisor.js";
import { type Planner, PlannerSetting } from "../model/planner.js";
import type { Logger } from "../../utils/logger.js";
import { SafetySettings } from "../model/safety-policy.js";
import type { EventListener } from "../model/events.js";
import type { MetricsSink, Telemetry } from "../model/telemetry.js";

/** The plain, validated part of the engine's options. */
export const EngineSettings = z.strictObject({
  workspace: z.string().min(1).optional(),
  stateDir: z.string().min(1).optional(),
  concurrency: z.number().int().min(1, "concurrency must be at least 1").max(1024).default(8),
  planner: z.enum(PlannerSetting).default("auto"),
  databaseUrl: z.string().min(1).optional(),
  recursionLimit: z.number().int().min(25).default(1_000_000),
  /** auto: PostgreSQL when checkpointUrl / CHECKPOINT_URL / DATABASE_URL is set, else SQLite. */
  persist: z.enum(["auto", "memory", "sqlite", "postgres"]).default("auto"),
  checkpointUrl: z.string().min(1).optional(),
  checkpointSchema: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, "a plain identifier")
    .default("workflow_engine"),
  /** Runs last updated longer ago than this are deleted when the engine opens its history. */
  retentionDays: z.number().positive().optional(),
  /** Redis for the plan cache and live event streams; default: REDIS_URL. */
  redisUrl: z.string().min(1).optional(),
  redisPrefix: z.string().min(1).max(100).optional(),
  /** Reuse cached plans for the same goal and planner settings (when Redis is configured). */
  planCache: z.boolean().default(true),
  planCacheTtlSeconds: z.number().int().positive().optional(),
  /**
   * Length of a run's lease (who drives it: src/engine/lease-holder.ts), renewed every third of it. A holder
   * that crashed on another machine is replaced after this long (on the same machine at once).
   */
  leaseSeconds: z.number().min(1, "leaseSeconds must be at least 1").max(3600).default(10),
  /** The folder of workflow files the library holds beside the added versions (default: this package's workflows/); false: none. */
  workflowsDir: z.union([z.string().min(1), z.literal(false)]).optional(),

  /**
   * Where task attempts run: "in-process" (default) or "queue" (BullMQ jobs that `node main.js worker` processes
   * run; needs Redis). Default: EXECUTOR, else in-process. EngineOptions.executor also takes an Executor of your own.
   */
  executor: z.enum(ExecutorKind).default("in-process"),
  /** With the queue executor: how long finished jobs (and their outcomes) stay in Redis for a resume to read. */
  queueKeepFinishedSeconds: z
    .number()
    .int()
    .min(1)
    .max(90 * 86_400)
    .optional(),
  // Guardrails (README "Safety"): trusted hosts, SQL writes, approval of mutating tasks, limits.
  ...SafetySettings.shape,
});
export type EngineSettings = z.input<typeof EngineSettings>;

export interface EngineOptions extends Omit<EngineSettings, "planner" | "executor"> {
  /** "auto" (LLM when OPENAI_API_KEY is set, else rules), "llm", "rules", or your own Planner. */
  planner?: PlannerSetting | Planner;
  /** The failure advisor; by default the LLM one when an LLM is configured, none otherwise. Pass null for none. */
  advisor?: FailureAdvisor | null;
  /** Environment to read OPENAI_* and DATABASE_URL from (default: process.env). */
  env?: Record<string, string | undefined>;
  logger?: Logger;
  /**
   * A checkpointer of your own (run records then stay in memory); default: chosen by `persist`. Its `serde`
   * is wrapped so that secrets are scrubbed from what it stores.
   */
  checkpointer?: BaseCheckpointSaver;
  /** Called with every event of every run. */
  onEvent?: EventListener;
  /** Called with a line for the user about something outside any one task, e.g. the embedded database starting. */
  onNotice?: (message: string) => void;
  /**
   * Where task attempts run: "in-process" (default), "queue" (queue workers over Redis), or an Executor of your own
   * (the executor port, src/model/executor.ts; the engine does not close one you give).
   */
  executor?: ExecutorKind | Executor;
  /**
   * Tracing (README "Observability"): by default on when the OTEL_* variables ask for it (spans go to the registered
   * tracer provider), else off and never called. Pass your own, or false to turn it off.
   */
  telemetry?: Telemetry | false;
  /** Service metrics (`serve`, src/telemetry/service-metrics.ts): told of every event, finished run and lease conflict. */
  metrics?: MetricsSink;
}

export interface RunOptions {
  /** The run's id (default: `wf-<uuid>`). */
  runId?: string;
  /** @deprecated the old name of `runId`, still accepted. */
  workflowId?: string;
  variables?: Record<string, unknown>;
  signal?: AbortSignal;
  onEvent?: EventListener;
  /**
   * When another process drives the run (holds its lease): seconds to wait for it to finish or let go
   * (Infinity: as long as it takes). Default: refuse at once with RUN_BUSY.
   */
  wait?: number;
  /** When the run fails, undo what completed (the compensations, newest first): as the plan's `on_failure: compensate`. */
  rollback?: boolean;
  /**
   * Called once the run is accepted: planned, checked, recorded and its lease held, just before it is driven.
   * What fails before this (an invalid plan, RUN_EXISTS, RUN_BUSY) rejects the call without it being called.
   */
  onAccepted?: (runId: string) => void;
  /**
   * Stops driving the run at once and leaves it resumable: the step in progress is dropped, every earlier step
   * is checkpointed, the record stays "running" and attempts in flight run again on resume (a server shutting
   * down). The call then rejects with RUN_SUSPENDED.
   */
  suspend?: AbortSignal;
  /** A child run (a `workflow` task's): the run and task that started it, shown by `runs show`. */
  parent?: { run_id: string; task_id: string };
}
