import { randomUUID } from "node:crypto";
import path from "node:path";
import type { FailureAdvisor } from "../model/advisor.js";
import type { Planner } from "../model/planner.js";
import { createAdvisor, createPlanner } from "../../agents/select-planner.js";
import { type Logger, scrubbingLogger, silentLogger } from "../../utils/logger.js";
import { ErrorCode, WorkflowError } from "../model/errors.js";
import { buildGraph, type WorkflowGraph } from "../graph/build-graph.js";
import type { Persistence } from "../persistence/open-persistence.js";
import type { ListRunsOptions, RunRecord } from "../persistence/run-store.js";
import type { ScheduleStore } from "../persistence/schedule-store.js";
import type { Plan, PlanInput } from "../model/plan-schema.js";
import { runViewOf, type WorkflowStateValue } from "../graph/workflow-state.js";
import { EngineResources } from "./engine-resources.js";
import type { EngineOptions, RunOptions } from "./engine-options.js";
import { parseSettings, resolveWorkspace, type Settings } from "./engine-settings.js";
import { driveRun, type OpeningEvent } from "./drive-run.js";
import type { WorkflowEvent } from "../model/events.js";
import { createGraphDeps } from "./graph-deps-factory.js";
import { enterPlan, type PlannedInput } from "../plan/plan-entry.js";
import { Command } from "@langchain/langgraph";
import type { ApprovalDecision, ApprovalRequest } from "../safety/approval/approval.js";
import { buildRunSafety } from "../safety/run-safety.js";
import { envValues } from "../safety/secrets/access.js";
import { safetyOf } from "../model/safety-policy.js";
import type { RunContext } from "../model/task-state.js";
import { SecretScrubber } from "../safety/secrets/scrubber.js";
import { checkDecision, readPause } from "./approval-gate.js";
import type { RedisFeatures } from "./redis-features.js";
import { type CheckpointSummary, exportRun, pruneRuns, runHistory } from "./run-admin.js";
import { initialState, notFound, recordResult, refuseExisting } from "./run-records.js";
import type { RunLoop } from "../scheduler/run-loop.js";
import type { Executor, QueueMetrics } from "../model/executor.js";
import { preflight } from "../executor/preflight.js";
import { checkExecutorChoice, createExecutor } from "./executor-choice.js";
import { toResult, type WorkflowResult } from "./result.js";
import { streamRun } from "./stream-run.js";
import { type HoldOptions, RunLeases } from "./lease-holder.js";
import { fenceWrites } from "../persistence/fenced-writes.js";
import type { EventEntry } from "../persistence/event-stream.js";
import { type AttemptSpan, attemptTimeline } from "./attempt-timeline.js";
import { rollbackPlan, type UndoStep } from "./rollback-plan.js";
import { compensationTasks, startRollback } from "../scheduler/rollback.js";
import { defaultTemplateRoot } from "../actions/db-query/pglite-template.js";
import { isWorkflowCall, type WorkflowCall, WorkflowLibrary } from "./workflow-library.js";
import { packageWorkflowsDir } from "./workflow-file.js";
import { ChildRuns } from "./child-runs.js";
import { pastRuns } from "./past-runs.js";
import type { RunTrace, Telemetry } from "../model/telemetry.js";
import { OtelTelemetry } from "../telemetry/otel-telemetry.js";
import { tracingRequested } from "../telemetry/tracing-env.js";

interface Opened {
  graph: WorkflowGraph;
  persistence: Persistence;
  /** Who drives which run: a run is driven, resumed, decided or deleted only under its lease. */
  leases: RunLeases;
  executor: Executor;
}

/** A new run id: `wf-<uuid>`. */
export function newRunId(): string {
  return `wf-${randomUUID()}`;
}

/** Runs goals and plans: plans them, schedules their tasks as a dataflow, handles failures, keeps history. */
export class WorkflowEngine {
  readonly workspace: string;
  readonly stateDir: string;
  readonly logger: Logger;
  /** The one secret scrubber: what checkpoints, run records, events, results and logs are cleaned with. */
  readonly secrets: SecretScrubber;
  private readonly settings: Settings;
  private readonly env: Record<string, string | undefined>;
  private readonly loops = new Map<string, RunLoop>();
  /** The executor the engine made (and closes), or the one given; made on first use. */
  private executorMade: Promise<Executor> | undefined;
  private readonly active = new Set<string>();
  private readonly resources: EngineResources;
  private opened: Promise<Opened> | undefined;
  private planner: Promise<Planner> | undefined;
  private advisor: Promise<FailureAdvisor | undefined> | undefined;
  private redisFeatures: Promise<RedisFeatures> | undefined;
  /** The workflow library: the workflows folder's files and the versions added to the run database. */
  readonly library: WorkflowLibrary;
  /** Child runs of `workflow` tasks: they run in this process, whichever executor runs the other tasks. */
  private readonly childRuns: ChildRuns;
  /** Tracing when on (README "Observability"); undefined costs nothing: no span, no wrapper, no listener. */
  private readonly telemetry: Telemetry | undefined;

  constructor(private readonly options: EngineOptions = {}) {
    this.env = options.env ?? process.env;
    this.settings = parseSettings(options, this.env);
    this.secrets = SecretScrubber.fromEnv(this.env);
    this.logger = scrubbingLogger(options.logger ?? silentLogger(), this.secrets);
    this.workspace = resolveWorkspace(options.workspace ?? process.cwd());
    this.stateDir = path.resolve(this.workspace, options.stateDir ?? ".workflow-state");
    const { databaseUrl = this.env.DATABASE_URL || undefined, checkpointUrl = this.env.CHECKPOINT_URL || undefined } = this.settings;
    this.resources = new EngineResources({
      stateDir: this.stateDir,
      persist: this.settings.persist,
      checkpointSchema: this.settings.checkpointSchema,
      logger: this.logger,
      secrets: this.secrets,
      pgliteTemplateRoot: defaultTemplateRoot(this.env),
      ...(options.onNotice ? { onNotice: options.onNotice } : {}),
      ...(databaseUrl ? { databaseUrl } : {}),
      ...(checkpointUrl ? { checkpointUrl } : {}),
      ...(options.checkpointer ? { checkpointer: options.checkpointer } : {}),
    });
    // A queue executor without Redis is refused now, before anything runs.
    if (typeof options.executor !== "object") checkExecutorChoice(this.settings.executor, this.redisUrl());
    this.childRuns = new ChildRuns({
      record: async (id) => (await this.open()).persistence.runs.get(id),
      run: (call, options) => this.run(call, options),
      resume: (id, options) => this.resume(id, options),
      finished: async (id) => (await this.getRun(id)).result,
    });
    const folder = this.settings.workflowsDir === false ? undefined : (this.settings.workflowsDir ?? packageWorkflowsDir());
    this.library = new WorkflowLibrary(
      async (create) => (create || this.historyExists() ? (await this.open()).persistence.workflows : undefined),
      folder && path.resolve(this.workspace, folder),
      () => pastRuns(this),
    );
    if (options.advisor !== undefined) this.advisor = Promise.resolve(options.advisor ?? undefined);
    if (typeof options.planner === "object") this.planner = Promise.resolve(options.planner);
    const traced = options.telemetry ?? (tracingRequested(this.env) && new OtelTelemetry((text) => this.secrets.scrubString(text)));
    this.telemetry = traced || undefined;
  }

  /** The compiled LangGraph graph, with this engine's checkpointer (for LangGraph tooling). */
  async compiledGraph(): Promise<WorkflowGraph> {
    return (await this.open()).graph;
  }

  /**
   * Plan a goal, or validate a plan, without running it (what `--dry-run` prints). The plan returned can be
   * given to `run` with the same variables and is not checked again.
   */
  async plan(goalOrPlan: string | PlanInput | WorkflowCall, variables: Record<string, unknown> = {}, signal?: AbortSignal): Promise<Plan> {
    return (await this.planFor(goalOrPlan, variables, signal)).plan;
  }

  /**
   * Run a goal (planned first), a plan, or a library workflow (`{ workflow: "name[@version]", inputs }`); resolves
   * when the run has ended, whatever its status.
   */
  async run(goalOrPlan: string | PlanInput | WorkflowCall, options: RunOptions = {}): Promise<WorkflowResult> {
    const runId = options.runId ?? options.workflowId ?? newRunId();
    const release = this.claim(runId);
    try {
      return await this.start(runId, goalOrPlan, options);
    } finally {
      release();
    }
  }

  private async start(runId: string, goalOrPlan: string | PlanInput | WorkflowCall, options: RunOptions): Promise<WorkflowResult> {
    // Read before the plan is checked: a plan from a file may be anything (null, a number, an array).
    const given =
      typeof goalOrPlan === "string"
        ? goalOrPlan
        : isWorkflowCall(goalOrPlan)
          ? `workflow ${goalOrPlan.workflow}`
          : (goalOrPlan as { goal?: unknown } | null)?.goal;
    const goalText = typeof given === "string" ? given : undefined;
    const trace = this.telemetry?.startRun({ runId, detail: "run", ...(goalText ? { goal: goalText } : {}) });
    try {
      return await this.startTraced(runId, goalOrPlan, options, trace);
    } catch (err) {
      trace?.end(undefined, err);
      throw err;
    }
  }

  private async startTraced(
    runId: string,
    goalOrPlan: string | PlanInput | WorkflowCall,
    options: RunOptions,
    trace?: RunTrace,
  ): Promise<WorkflowResult> {
    const given = options.variables ?? {};
    // Plan before anything is opened or recorded: a goal that is not understood or an invalid plan leaves no trace.
    const planned = trace
      ? await trace.child("workflow.plan", async (span) => {
          const p = await this.planFor(goalOrPlan, given, options.signal);
          span.set({ "workflow.planner": p.planner, "workflow.tasks": p.plan.tasks.length, "workflow.plan_cache": p.cache ?? "none" });
          return p;
        })
      : await this.planFor(goalOrPlan, given, options.signal);
    trace?.set({ "workflow.planner": planned.planner, "workflow.tasks": planned.plan.tasks.length });
    // Secrets written in the plan or the variables are never stored, logged or published from here on.
    this.secrets.learnFrom([planned.plan, given]);
    const safety = buildRunSafety({
      settings: this.settings,
      plan: planned.plan,
      planner: planned.planner,
      variables: given,
      logger: this.logger,
      ...(typeof goalOrPlan === "string" ? { goal: goalOrPlan } : {}),
    });
    // What the plan already shows a guard would refuse is refused now: nothing runs, nothing is recorded.
    await preflight(planned.plan, { safety, workspace: this.workspace, env: this.env }).catch((err: unknown) => {
      this.options.metrics?.operationFailed(err);
      throw err;
    });
    // Every value the plan reads with {{env.NAME}} is a secret from here on, whatever its name.
    this.secrets.learn(...envValues(this.env, safety));
    const { persistence } = await this.open();
    return this.underLease(runId, "run", options, async (leased) => {
      await refuseExisting(persistence, runId);
      // Variables the plan declares are defaults; --var / options.variables override them.
      const variables = { ...(planned.plan.variables ?? {}), ...given };
      const goal = typeof goalOrPlan === "string" ? goalOrPlan : planned.plan.goal;
      const now = new Date().toISOString();
      await persistence.runs.upsert({ run_id: runId, status: "running", created_at: now, updated_at: now, ...(goal ? { goal } : {}) });
      const input = initialState({
        runId,
        planned,
        variables,
        now,
        safety,
        concurrency: this.settings.concurrency,
        ...(goal === undefined ? {} : { goal }),
        ...(options.parent ? { parent: options.parent } : {}),
        ...(options.rollback ? { rollback: true } : {}),
        trace: trace?.carrier,
      });
      return this.drive(runId, input, leased, goal ?? "plan", undefined, undefined, trace);
    });
  }

  /** Continue an unfinished run from its last checkpoint; tasks that completed do not run again. */
  async resume(runId: string, options: Omit<RunOptions, "runId" | "workflowId" | "variables"> = {}): Promise<WorkflowResult> {
    const { persistence } = await this.open();
    if (!(await persistence.runs.get(runId)) && !(await this.getState(runId))) throw notFound(runId, persistence);
    const release = this.claim(runId);
    try {
      // The state is read under the lease: it is then the last checkpoint the previous holder wrote.
      return await this.underLease(runId, "resume", options, async (leased) => {
        const state = await this.getState(runId);
        if (!state) throw notFound(runId, persistence);
        if (state.context.finished_at) {
          // A holder that lost its lease right after the last checkpoint left the record behind: set it right.
          if (!(await persistence.runs.get(runId))?.finished_at) await recordResult(persistence, this.secrets.scrub(toResult(state)));
          throw finishedAlready(runId, state.context.status, "resume");
        }
        return this.drive(runId, null, leased, "resumed", state.context);
      });
    } finally {
      release();
    }
  }

  /** Approve (or reject) the mutating tasks a paused run waits for, and continue it; from any process. */
  async decide(
    runId: string,
    decision: ApprovalDecision,
    options: Omit<RunOptions, "runId" | "workflowId" | "variables"> = {},
  ): Promise<WorkflowResult> {
    const { graph } = await this.open();
    const release = this.claim(runId);
    try {
      // Read under the lease: of several approvals sent at once, only the first finds the run paused.
      return await this.underLease(runId, decision.approve ? "approve" : "reject", options, async (leased) => {
        const { waiting, context } = await readPause(graph, runId);
        const checked = checkDecision(runId, waiting, decision);
        return this.drive(runId, new Command({ resume: checked }), leased, checked.approve ? "approved" : "rejected", context);
      });
    } finally {
      release();
    }
  }

  /**
   * Cancel an unfinished run, wherever it is driven: in this process its tasks are aborted at once; in another,
   * that process is asked through the run's lease and cancels it at its next renewal (within a third of
   * leaseSeconds); a run nobody drives (paused for approval, or its process died) is ended here. The run ends
   * "failed" with CANCELLED. Returns "cancelled" when it was cancelled here, "requested" when another process
   * was asked to.
   */
  async cancel(runId: string, reason = "cancelled on request"): Promise<"cancelled" | "requested"> {
    const { persistence, leases } = await this.open();
    const record = await persistence.runs.get(runId);
    if (!record) throw notFound(runId, persistence);
    if (record.finished_at) throw finishedAlready(runId, record.status, "cancel");
    if (leases.cancel(runId, reason)) return "cancelled";
    if (await leases.requestCancel(runId, reason)) return "requested";
    const release = this.claim(runId);
    try {
      await this.underLease(runId, "cancel", {} as { signal?: AbortSignal }, async (leased) => {
        const state = await this.getState(runId);
        if (!state || state.context.finished_at) throw finishedAlready(runId, state?.context.status ?? record.status, "cancel");
        const stop = new AbortController();
        stop.abort(reason);
        const signal = leased.signal ? AbortSignal.any([leased.signal, stop.signal]) : stop.signal;
        return this.drive(runId, null, { signal }, "cancelled", state.context);
      });
    } finally {
      release();
    }
    return "cancelled";
  }

  /**
   * Undo a finished run (completed or failed) on request: its compensations run newest first, as after a failure
   * under `on_failure: compensate`, and the run ends rolled_back or rollback_failed.
   */
  async rollback(runId: string, options: Omit<RunOptions, "runId" | "workflowId" | "variables"> = {}): Promise<WorkflowResult> {
    const { persistence, graph } = await this.open();
    if (!(await persistence.runs.get(runId))) throw notFound(runId, persistence);
    const release = this.claim(runId);
    try {
      return await this.underLease(runId, "rollback", options, async (leased) => {
        const state = await this.getState(runId);
        if (!state) throw notFound(runId, persistence);
        rollbackPlan(runId, state);
        const config = { configurable: { thread_id: runId } };
        await graph.updateState(config, startRollback(state, new Date().toISOString(), "rollback requested"), "complete");
        await persistence.runs.upsert({
          run_id: runId,
          status: "running",
          created_at: state.context.started_at,
          updated_at: new Date().toISOString(),
        });
        const undo = Object.keys(compensationTasks(state.tasks)).length;
        return this.drive(
          runId,
          null,
          leased,
          "rollback",
          { ...state.context, phase: "rollback" },
          {
            type: "rollback_started",
            detail: `${undo} to undo: rollback requested`,
          },
        );
      });
    } finally {
      release();
    }
  }

  /** What `rollback` would undo, in the order it would (`runs rollback --dry-run`); nothing is changed. */
  async planRollback(runId: string): Promise<UndoStep[]> {
    const { persistence } = await this.open();
    const state = await this.getState(runId);
    if (!state || !(await persistence.runs.get(runId))) throw notFound(runId, persistence);
    return this.secrets.scrub(rollbackPlan(runId, state));
  }

  /** The approval a paused run waits for, or undefined. */
  async pendingApproval(runId: string): Promise<ApprovalRequest | undefined> {
    return (await readPause((await this.open()).graph, runId)).waiting;
  }

  private async planFor(
    given: string | PlanInput | WorkflowCall,
    variables: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<PlannedInput> {
    // A library workflow is compiled to its plan (inputs checked, sub-workflow versions pinned) and enters as one.
    const goalOrPlan = isWorkflowCall(given) ? await this.library.plan(given) : given;
    const cache = this.settings.planCache ? (await this.redis())?.planCache : undefined;
    const { maxLlmCalls: maxCalls, maxLlmTokens: maxTokens } = this.settings.limits;
    const planned = await enterPlan(
      {
        planner: () => this.getPlanner(),
        env: this.env,
        budget: { maxCalls, maxTokens },
        holdsSecrets: (v) => this.secrets.scrub(v) !== v,
        library: () => this.library.cards(),
        ...(cache ? { cache } : {}),
      },
      goalOrPlan,
      variables,
      signal,
    );
    // Workflow tasks (a planner's one-task plan, or a plan's) call the library: checked and pinned now.
    return { ...planned, plan: await this.library.pinCalls(planned.plan) };
  }

  private redisUrl(): string | undefined {
    return this.settings.redisUrl ?? (this.env.REDIS_URL || undefined);
  }

  /**
   * Redis features (plan cache, event streams) when REDIS_URL / redisUrl is set. ioredis loads with them, so an
   * engine without Redis never loads it.
   */
  private redis(): Promise<RedisFeatures | undefined> {
    const url = this.redisUrl();
    if (!url) return Promise.resolve(undefined);
    const { redisPrefix, planCacheTtlSeconds } = this.settings;
    this.redisFeatures ??= import("./redis-features.js").then(
      ({ RedisFeatures }) =>
        new RedisFeatures({
          url,
          logger: this.logger,
          ...(redisPrefix ? { prefix: redisPrefix } : {}),
          ...(planCacheTtlSeconds ? { planCacheTtlSeconds } : {}),
        }),
    );
    return this.redisFeatures;
  }

  /** Follow a run's live events from Redis (another process may be running it); ends with the run. */
  watch(runId: string, signal?: AbortSignal): AsyncGenerator<WorkflowEvent> {
    if (!this.redisUrl())
      throw new WorkflowError(ErrorCode.ConfigInvalid, "Watching a run needs Redis: set REDIS_URL (e.g. redis://127.0.0.1:6379).");
    return this.watchEvents(runId, signal);
  }

  private async *watchEvents(runId: string, signal?: AbortSignal): AsyncGenerator<WorkflowEvent> {
    const redis = await this.redis();
    if (redis) yield* redis.events.watch(runId, signal ? { signal } : {});
  }

  /**
   * A run's live events with their Redis stream ids, after `after` (a reconnecting client's last id), ending
   * with run_completed; undefined when no Redis is configured.
   */
  followEvents(runId: string, options: { after?: string; signal?: AbortSignal } = {}): AsyncGenerator<EventEntry> | undefined {
    if (!this.redisUrl()) return undefined;
    return this.followEntries(runId, options);
  }

  private async *followEntries(runId: string, options: { after?: string; signal?: AbortSignal }): AsyncGenerator<EventEntry> {
    const redis = await this.redis();
    if (redis) yield* redis.events.follow(runId, options);
  }

  /** A run's events after `after` as Redis holds them now (no waiting); undefined when no Redis is configured. */
  async storedEvents(runId: string, after?: string): Promise<EventEntry[] | undefined> {
    const redis = await this.redis();
    return redis?.events.range(runId, after);
  }

  /** True when Redis holds events of the run (it has started and its stream has not expired). */
  async hasRunEvents(runId: string): Promise<boolean> {
    return (await (await this.redis())?.events.hasEvents(runId)) ?? false;
  }

  /**
   * Do `work` holding the run's lease (src/engine/lease-holder.ts), with options whose signal also aborts
   * when the lease is lost; RUN_BUSY when another process holds it (after `options.wait` seconds, if set).
   */
  private async underLease<T, O extends { signal?: AbortSignal; wait?: number }>(
    runId: string,
    purpose: HoldOptions["purpose"],
    options: O,
    work: (leased: O) => Promise<T>,
  ): Promise<T> {
    const { leases } = await this.open();
    const hold: HoldOptions = {
      purpose,
      ...(options.wait === undefined ? {} : { waitSeconds: options.wait }),
      ...(options.signal ? { signal: options.signal } : {}),
    };
    return leases
      .hold(runId, hold, (lost) => work({ ...options, signal: options.signal ? AbortSignal.any([options.signal, lost]) : lost }))
      .catch((err: unknown) => {
        this.options.metrics?.operationFailed(err);
        throw err;
      });
  }

  /** Reserve a run id in this process for the length of a run or resume. */
  private claim(runId: string): () => void {
    if (this.active.has(runId)) {
      throw new WorkflowError(ErrorCode.RunExists, `Run "${runId}" is already in progress in this process.`);
    }
    this.active.add(runId);
    return () => this.active.delete(runId);
  }

  /** Run and yield every event as it happens; the generator's return value is the result. */
  stream(goalOrPlan: string | PlanInput, options: RunOptions = {}): AsyncGenerator<WorkflowEvent, WorkflowResult> {
    return streamRun((onEvent) => this.run(goalOrPlan, { ...options, onEvent: chain(options.onEvent, onEvent) }));
  }

  /** The checkpointed state of a run (latest checkpoint), or undefined when there is none. */
  async getState(runId: string): Promise<WorkflowStateValue | undefined> {
    const { graph } = await this.open();
    const snapshot = await graph.getState({ configurable: { thread_id: runId } });
    const values = snapshot.values as WorkflowStateValue | undefined;
    return values?.context?.workflow_id ? runViewOf(values) : undefined;
  }

  /** A run's record and result (tasks, statuses, results, errors, timings). */
  async getRun(runId: string): Promise<{ record: RunRecord; result: WorkflowResult }> {
    const { record, state, graph } = await this.loadRun(runId);
    // A paused run's checkpoint says "running": the pause is LangGraph's interrupt, read only when the record says so.
    const waiting = record.status === "awaiting_approval" ? (await readPause(graph, runId)).waiting : undefined;
    return { record, result: toResult(state, waiting) };
  }

  /** A run's record and result, and the timeline of its task attempts (what the server's run page shows). */
  async runDetail(runId: string): Promise<{ record: RunRecord; result: WorkflowResult; attempts: AttemptSpan[] }> {
    const { record, state, graph } = await this.loadRun(runId);
    const waiting = record.status === "awaiting_approval" ? (await readPause(graph, runId)).waiting : undefined;
    return { record, result: this.secrets.scrub(toResult(state, waiting)), attempts: attemptTimeline(state.history) };
  }

  /** A run's record, or undefined (a cheap read: no checkpoint is loaded). */
  async runRecord(runId: string): Promise<RunRecord | undefined> {
    return (await this.open()).persistence.runs.get(runId);
  }

  /** A run's record and state, read once (rebuilding a long run's state replays its checkpoints). */
  private async loadRun(runId: string): Promise<{ record: RunRecord; state: WorkflowStateValue; graph: WorkflowGraph }> {
    const { persistence, graph } = await this.open();
    const [record, state] = await Promise.all([persistence.runs.get(runId), this.getState(runId)]);
    if (!record || !state) throw notFound(runId, persistence);
    return { record, state, graph };
  }

  /** False when this engine's history was never written (its SQLite file does not exist): reads need not create it. */
  historyExists(): boolean {
    return this.resources.historyExists();
  }

  /** Runs, newest first. */
  async listRuns(options: ListRunsOptions = {}): Promise<RunRecord[]> {
    return (await this.open()).persistence.runs.list(options);
  }

  /** Delete a run's checkpoints, writes and record. */
  async deleteRun(runId: string, options: { wait?: number } = {}): Promise<void> {
    const { persistence } = await this.open();
    if (!(await persistence.runs.get(runId))) throw notFound(runId, persistence);
    // Under the run's lease: a run being driven is not deleted (RUN_BUSY), nor driven while it is deleted.
    await this.underLease(runId, "delete", options, async () => {
      if (!(await persistence.runs.get(runId))) throw notFound(runId, persistence);
      await persistence.checkpointer.deleteThread(runId);
      await persistence.runs.delete(runId);
    });
  }

  /** Delete every run last updated before `cutoff` that nobody drives (see pruneRuns in run-admin.ts); returns their ids. */
  async pruneRuns(cutoff: Date): Promise<string[]> {
    const { persistence, leases } = await this.open();
    return pruneRuns(persistence, leases, cutoff);
  }

  /** The run's checkpoints, newest first (LangGraph time travel). */
  async runHistory(runId: string, limit = 100): Promise<CheckpointSummary[]> {
    const { graph, persistence } = await this.open();
    if (!(await persistence.runs.get(runId))) throw notFound(runId, persistence);
    return runHistory(graph, runId, limit);
  }

  /** Everything about a run as one JSON-ready object. */
  async exportRun(runId: string): Promise<Record<string, unknown>> {
    const { record, state, graph } = await this.loadRun(runId);
    return exportRun(record, toResult(state), state, await runHistory(graph, runId, 10_000));
  }

  /** Where runs are kept ("sqlite", "postgres" or "memory") and the file or schema. */
  async persistenceInfo(): Promise<{ kind: string; location: string }> {
    const { persistence } = await this.open();
    return { kind: persistence.kind, location: persistence.location };
  }

  /** The cron schedules, kept in the run database (what `schedules` and `serve` read and fire). */
  async scheduleStore(): Promise<ScheduleStore> {
    return (await this.open()).persistence.schedules;
  }

  /**
   * The task queues' depth and workers when tasks run on queue workers (`executor: "queue"`), else undefined
   * (what `runs show` and `GET /queues` show).
   */
  async queueMetrics(): Promise<QueueMetrics[] | undefined> {
    const executor = await this.executor();
    return executor.queueMetrics ? executor.queueMetrics() : undefined;
  }

  /** The executor given in the options, or the one the settings choose (made once, closed with the engine). */
  private executor(): Promise<Executor> {
    const given = this.options.executor;
    this.executorMade ??=
      typeof given === "object"
        ? Promise.resolve(given)
        : createExecutor({
            kind: this.settings.executor,
            redisUrl: this.redisUrl(),
            redisPrefix: this.settings.redisPrefix,
            keepFinishedSeconds: this.settings.queueKeepFinishedSeconds,
            logger: this.logger,
            attempts: {
              workspace: this.workspace,
              logger: this.logger,
              sql: () => this.resources.sqlClient(),
              env: this.env,
              secrets: this.secrets,
              workflows: this.childRuns,
            },
          });
    return this.executorMade;
  }

  /** Close what the engine opened (database pools, the history file, the executor it made). */
  async close(): Promise<void> {
    this.opened = undefined;
    const executor = this.executorMade;
    this.executorMade = undefined;
    if (typeof this.options.executor !== "object") await (await executor?.catch(() => undefined))?.close?.();
    const redis = this.redisFeatures;
    this.redisFeatures = undefined;
    await (await redis?.catch(() => undefined))?.close();
    await this.resources.close();
  }

  private async drive(
    runId: string,
    input: unknown,
    options: Omit<RunOptions, "runId">,
    detail: string,
    known?: RunContext,
    opening?: OpeningEvent,
    trace?: RunTrace,
  ): Promise<WorkflowResult> {
    // A resumed or approved run (maybe in another process) reads the same {{env.NAME}} values: scrub them too.
    if (known) this.secrets.learn(...envValues(this.env, safetyOf(known)));
    const { graph, persistence, executor } = await this.open();
    const publish = (await this.redis())?.publish;
    const observe = this.options.metrics ? this.options.metrics.observe.bind(this.options.metrics) : undefined;
    const listeners = [this.options.onEvent, publish, observe].filter((l) => l !== undefined);
    return driveRun(
      {
        graph,
        persistence,
        loops: this.loops,
        executor,
        listeners,
        ...(publish ? { flushEvents: () => publish.flush() } : {}),
        secrets: this.secrets,
        logger: this.logger,
        recursionLimit: this.settings.recursionLimit,
        getState: (id) => this.getState(id),
        telemetry: this.telemetry,
        trace,
        metrics: this.options.metrics,
      },
      runId,
      input,
      options,
      detail,
      known,
      opening,
    );
  }

  private open(): Promise<Opened> {
    this.opened ??= this.resources.openPersistence().then(async (opened) => {
      const executor = await this.executor();
      const leases = new RunLeases(opened.leases, this.settings.leaseSeconds * 1000, this.logger);
      const persistence = fenceWrites(opened, (runId) => leases.check(runId));
      const deps = createGraphDeps({
        loops: this.loops,
        executor,
        planner: () => this.getPlanner(),
        advisor: () => this.getAdvisor(),
        plans: { env: this.env },
        logger: this.logger,
        startEagerly: persistence.kind === "memory",
        secrets: this.secrets,
      });
      if (this.settings.retentionDays !== undefined) {
        const cutoff = new Date(Date.now() - this.settings.retentionDays * 86_400_000);
        const pruned = await pruneRuns(persistence, leases, cutoff);
        if (pruned.length) this.logger.info({ pruned: pruned.length }, "retention: old runs deleted");
      }
      return { graph: buildGraph(deps, { checkpointer: persistence.checkpointer }), persistence, leases, executor };
    });
    return this.opened;
  }

  private getPlanner(): Promise<Planner> {
    this.planner ??= createPlanner(this.settings.planner, this.env, this.logger);
    return this.planner;
  }

  private getAdvisor(): Promise<FailureAdvisor | undefined> {
    this.advisor ??= createAdvisor(this.env, this.logger);
    return this.advisor;
  }
}

function finishedAlready(runId: string, status: string, what: string): WorkflowError {
  return new WorkflowError(ErrorCode.RunFinished, `Run "${runId}" already finished (${status}); there is nothing to ${what}.`, {
    details: { status },
  });
}

function chain<T>(a: ((x: T) => void) | undefined, b: (x: T) => void): (x: T) => void {
  return a
    ? (x) => {
        a(x);
        b(x);
      }
    : b;
}
