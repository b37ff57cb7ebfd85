import path from "node:path";
import type { FailureAdvisor } from "../model/advisor.js";
import type { Planner } from "../model/planner.js";
import { createAdvisor, createPlanner } from "../../agents/select-planner.js";
import { type Logger, scrubbingLogger, silentLogger } from "../../utils/logger.js";
import { ErrorCode, WorkflowError } from "../model/errors.js";
import { buildGraph, type WorkflowGraph } from "../graph/build-graph.js";
import type { Persistence } from "../persistence/open-persistence.js";
import type { ListRunsOptions, RunRecord } from "../persistence/run-store.js";
import type { PlanInput } from "../model/plan-schema.js";
import { runViewOf, type WorkflowStateValue } from "../graph/workflow-state.js";
import { EngineResources } from "./engine-resources.js";
import type { EngineOptions, RunOptions } from "./engine-options.js";
import { parseSettings, resolveWorkspace, type Settings } from "./engine-settings.js";
import { driveRun, type OpeningEvent } from "./drive-run.js";
import { createGraphDeps } from "./graph-deps-factory.js";
import { enterPlan, type PlannedInput } from "../plan/plan-entry.js";
import { envValues } from "../safety/secrets/access.js";
import { safetyOf } from "../model/safety-policy.js";
import type { RunContext } from "../model/task-state.js";
import { SecretScrubber } from "../safety/secrets/scrubber.js";
import type { RedisFeatures } from "./redis-features.js";
import { pruneRuns } from "./run-admin.js";
import type { RunLoop } from "../scheduler/run-loop.js";
import type { Executor } from "../model/executor.js";
import { checkExecutorChoice, createExecutor } from "./executor-choice.js";
import type { WorkflowResult } from "./result.js";
import { type HoldOptions, RunLeases } from "./lease-holder.js";
import { fenceWrites } from "../persistence/fenced-writes.js";
import { defaultTemplateRoot } from "../actions/db-query/pglite-template.js";
import { isWorkflowCall, type WorkflowCall, WorkflowLibrary } from "./workflow-library.js";
import { packageWorkflowsDir } from "./workflow-file.js";
import { ChildRuns } from "./child-runs.js";
import { pastRuns } from "./past-runs.js";
import type { RunTrace, Telemetry } from "../model/telemetry.js";
import { OtelTelemetry } from "../telemetry/otel-telemetry.js";
import { tracingRequested } from "../telemetry/tracing-env.js";

export interface Opened {
  graph: WorkflowGraph;
  persistence: Persistence;
  /** Who drives which run: a run is driven, resumed, decided or deleted only under its lease. */
  leases: RunLeases;
  executor: Executor;
}

/**
 * What every engine operation stands on: settings, the secret scrubber, persistence and leases opened once, the
 * executor, Redis, the planners, and driving a run through the graph. WorkflowEngine (src/engine/workflow-engine.ts)
 * adds the runs' lifecycle on top, RunReads (src/engine/run-reads.ts) the reads.
 */
export abstract class EngineCore {
  readonly workspace: string;
  readonly stateDir: string;
  readonly logger: Logger;
  /** The one secret scrubber: what checkpoints, run records, events, results and logs are cleaned with. */
  readonly secrets: SecretScrubber;
  protected readonly settings: Settings;
  protected readonly env: Record<string, string | undefined>;
  private readonly loops = new Map<string, RunLoop>();
  /** The executor the engine made (and closes), or the one given; made on first use. */
  private executorMade: Promise<Executor> | undefined;
  private readonly active = new Set<string>();
  protected readonly resources: EngineResources;
  private opened: Promise<Opened> | undefined;
  private planner: Promise<Planner> | undefined;
  private advisor: Promise<FailureAdvisor | undefined> | undefined;
  private redisFeatures: Promise<RedisFeatures> | undefined;
  /** The workflow library: the workflows folder's files and the versions added to the run database. */
  readonly library: WorkflowLibrary;
  /** Child runs of `workflow` tasks: they run in this process, whichever executor runs the other tasks. */
  protected readonly childRuns: ChildRuns;
  /** Tracing when on (README "Observability"); undefined costs nothing: no span, no wrapper, no listener. */
  protected readonly telemetry: Telemetry | undefined;

  constructor(protected readonly options: EngineOptions = {}) {
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

  protected async planFor(
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

  protected redisUrl(): string | undefined {
    return this.settings.redisUrl ?? (this.env.REDIS_URL || undefined);
  }

  /**
   * Redis features (plan cache, event streams) when REDIS_URL / redisUrl is set. ioredis loads with them, so an
   * engine without Redis never loads it.
   */
  protected redis(): Promise<RedisFeatures | undefined> {
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

  /**
   * Do `work` holding the run's lease (src/engine/lease-holder.ts), with options whose signal also aborts
   * when the lease is lost; RUN_BUSY when another process holds it (after `options.wait` seconds, if set).
   */
  protected async underLease<T, O extends { signal?: AbortSignal; wait?: number }>(
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
  protected claim(runId: string): () => void {
    if (this.active.has(runId)) {
      throw new WorkflowError(ErrorCode.RunExists, `Run "${runId}" is already in progress in this process.`);
    }
    this.active.add(runId);
    return () => this.active.delete(runId);
  }

  /** The checkpointed state of a run (latest checkpoint), or undefined when there is none. */
  async getState(runId: string): Promise<WorkflowStateValue | undefined> {
    const { graph } = await this.open();
    const snapshot = await graph.getState({ configurable: { thread_id: runId } });
    const values = snapshot.values as WorkflowStateValue | undefined;
    return values?.context?.workflow_id ? runViewOf(values) : undefined;
  }

  /** False when this engine's history was never written (its SQLite file does not exist): reads need not create it. */
  historyExists(): boolean {
    return this.resources.historyExists();
  }

  /** The executor given in the options, or the one the settings choose (made once, closed with the engine). */
  protected executor(): Promise<Executor> {
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

  protected async drive(
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

  protected open(): Promise<Opened> {
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

  /** Run a goal, a plan or a library workflow (WorkflowEngine). */
  abstract run(goalOrPlan: string | PlanInput | WorkflowCall, options?: RunOptions): Promise<WorkflowResult>;
  /** Continue an unfinished run (WorkflowEngine). */
  abstract resume(runId: string, options?: Omit<RunOptions, "runId" | "workflowId" | "variables">): Promise<WorkflowResult>;
  /** A run's record and result (RunReads). */
  abstract getRun(runId: string): Promise<{ record: RunRecord; result: WorkflowResult }>;
  /** Runs, newest first (RunReads). */
  abstract listRuns(options?: ListRunsOptions): Promise<RunRecord[]>;
}
