import { mkdirSync, realpathSync } from "node:fs";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { type BaseCheckpointSaver, MemorySaver } from "@langchain/langgraph";
import type { FailureAdvisor } from "../../agents/failure-advisor.js";
import type { Planner } from "../../agents/planner.js";
import { createAdvisor, createPlanner } from "../../agents/select-planner.js";
import { silentLogger, type Logger } from "../../utils/logger.js";
import { runAction } from "../actions/registry.js";
import type { ActionContext, SqlClient } from "../actions/types.js";
import { ensureWorkflowError, ErrorCode, type SerializedError, WorkflowError } from "../errors.js";
import { buildGraph, type WorkflowGraph } from "../graph/build-graph.js";
import type { GraphDeps } from "../graph/graph-deps.js";
import type { Plan, PlanInput } from "../plan/schema.js";
import { validatePlan } from "../plan/validate.js";
import { createSqlClient } from "../resources/sql-client.js";
import type { TaskState } from "../state/task-state.js";
import type { WorkflowStateValue } from "../state/workflow-state.js";
import { EngineSettings, type EngineOptions, type RunOptions } from "./engine-options.js";
import { RunRuntime } from "./run-runtime.js";
import { toResult, type WorkflowResult } from "./result.js";
import { streamRun } from "./stream-run.js";
import type { WorkflowEvent } from "./events.js";

/** Runs goals and plans: plans them, schedules their tasks as a dataflow, handles failures. */
export class WorkflowEngine {
  readonly workspace: string;
  readonly stateDir: string;
  readonly logger: Logger;
  private readonly settings: ReturnType<typeof EngineSettings.parse>;
  private readonly env: Record<string, string | undefined>;
  private readonly runtimes = new Map<string, RunRuntime>();
  private readonly checkpointer: BaseCheckpointSaver;
  private readonly graph: WorkflowGraph;
  private planner: Promise<Planner> | undefined;
  private advisor: Promise<FailureAdvisor | undefined> | undefined;
  private sql: Promise<SqlClient> | undefined;

  constructor(private readonly options: EngineOptions = {}) {
    const { workspace, stateDir, concurrency, databaseUrl, recursionLimit } = options;
    const planner = typeof options.planner === "string" ? options.planner : undefined;
    const parsed = EngineSettings.safeParse({ workspace, stateDir, concurrency, databaseUrl, recursionLimit, planner });
    if (!parsed.success) {
      const what = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
      throw new WorkflowError(ErrorCode.ConfigInvalid, `Invalid engine options: ${what}.`);
    }
    this.settings = parsed.data;
    this.env = options.env ?? process.env;
    this.logger = options.logger ?? silentLogger();
    this.workspace = resolveWorkspace(options.workspace ?? process.cwd());
    this.stateDir = path.resolve(this.workspace, options.stateDir ?? ".workflow-state");
    this.checkpointer = options.checkpointer ?? new MemorySaver();
    if (options.advisor !== undefined) this.advisor = Promise.resolve(options.advisor ?? undefined);
    if (typeof options.planner === "object") this.planner = Promise.resolve(options.planner);
    this.graph = buildGraph(this.graphDeps(), this.checkpointer);
  }

  /** The compiled LangGraph graph (for LangGraph tooling). */
  get compiledGraph(): WorkflowGraph {
    return this.graph;
  }

  /** Plan a goal without running it (what `--dry-run` prints). */
  async plan(goal: string, variables: Record<string, unknown> = {}, signal?: AbortSignal): Promise<Plan> {
    const produced = await (await this.getPlanner()).plan({ goal, variables, ...(signal ? { signal } : {}) });
    return validatePlan(produced.plan, { variables: Object.keys(variables) });
  }

  /** Run a goal (planned first) or a plan; resolves when the run has ended, whatever its status. */
  async run(goalOrPlan: string | PlanInput, options: RunOptions = {}): Promise<WorkflowResult> {
    const workflowId = options.workflowId ?? `wf-${randomUUID()}`;
    const variables = options.variables ?? {};
    const plan = typeof goalOrPlan === "string" ? null : validatePlan(goalOrPlan, { variables: Object.keys(variables) });
    const goal = typeof goalOrPlan === "string" ? goalOrPlan : plan?.goal;
    if (this.runtimes.has(workflowId)) {
      throw new WorkflowError(ErrorCode.ConfigInvalid, `A run with id "${workflowId}" is already in progress; pick another id.`);
    }
    const rt = new RunRuntime(workflowId);
    this.runtimes.set(workflowId, rt);
    const unsubscribe = [this.options.onEvent, options.onEvent].filter((l) => l !== undefined).map((l) => rt.subscribe(l));
    const onAbort = () => rt.cancel(String(options.signal?.reason ?? "the run was cancelled"));
    options.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      rt.emit({ type: "run_started", detail: goal ?? "plan" });
      this.logger.info({ runId: workflowId }, "run started");
      const final = (await this.graph.invoke(
        {
          context: { workflow_id: workflowId, status: "planning", started_at: new Date().toISOString(), concurrency: this.settings.concurrency, ...(goal === undefined ? {} : { goal }) },
          workflow_plan: plan,
          memory: { variables },
        },
        { configurable: { thread_id: workflowId }, recursionLimit: this.settings.recursionLimit },
      )) as WorkflowStateValue;
      const result = toResult(final);
      this.logger.info({ runId: workflowId, status: result.status, wall_ms: result.metrics.wall_ms }, "run finished");
      return result;
    } catch (err) {
      rt.cancel("the run stopped on an error");
      throw ensureWorkflowError(err);
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
      await rt.settle();
      for (const u of unsubscribe) u();
      this.runtimes.delete(workflowId);
    }
  }

  /** Run and yield every event as it happens; the generator's return value is the result. */
  stream(goalOrPlan: string | PlanInput, options: RunOptions = {}): AsyncGenerator<WorkflowEvent, WorkflowResult> {
    return streamRun((onEvent) => this.run(goalOrPlan, { ...options, onEvent: chain(options.onEvent, onEvent) }));
  }

  /** The checkpointed state of a run (latest checkpoint), or undefined when there is none. */
  async getState(workflowId: string): Promise<WorkflowStateValue | undefined> {
    const snapshot = await this.graph.getState({ configurable: { thread_id: workflowId } });
    const values = snapshot.values as WorkflowStateValue | undefined;
    return values?.context?.workflow_id ? values : undefined;
  }

  /** Close what the engine opened (database pools). */
  async close(): Promise<void> {
    const sql = this.sql;
    this.sql = undefined;
    if (sql) await (await sql.catch(() => undefined))?.close();
  }

  private getPlanner(): Promise<Planner> {
    const planner = this.planner ?? createPlanner(this.settings.planner, this.env, this.logger);
    this.planner = planner;
    return planner;
  }

  private graphDeps(): GraphDeps {
    return {
      runtime: (runId) => {
        let rt = this.runtimes.get(runId);
        if (!rt) {
          rt = new RunRuntime(runId);
          this.runtimes.set(runId, rt);
        }
        return rt;
      },
      planGoal: async (goal, variables, signal) => (await this.getPlanner()).plan({ goal, variables, signal }),
      advise: (task, error, signal) => this.adviseSafely(task, error, signal),
      runAction: (type, config, ctx) => runAction(type, config, ctx),
      actionContext: (runId, task, signal) => this.actionContext(runId, task, signal),
      now: Date.now,
      random: Math.random,
    };
  }

  private actionContext(runId: string, task: TaskState, signal: AbortSignal): ActionContext {
    return {
      signal,
      logger: this.logger.child({ runId, taskId: task.id, actionType: task.action_type, attempt: task.attempts }),
      attempt: task.attempts,
      runId,
      taskId: task.id,
      workspace: this.workspace,
      resources: { sql: () => this.sqlClient() },
    };
  }

  private sqlClient(): Promise<SqlClient> {
    const sql = this.sql ?? createSqlClient({ databaseUrl: this.settings.databaseUrl ?? this.env.DATABASE_URL, stateDir: this.stateDir, logger: this.logger });
    this.sql = sql;
    return sql;
  }

  private async adviseSafely(task: TaskState, error: SerializedError, signal: AbortSignal) {
    this.advisor ??= createAdvisor(this.env, this.logger);
    try {
      const advisor = await this.advisor;
      if (!advisor) return undefined;
      const advice = await advisor.advise({ task, error, attempts: task.attempts }, signal);
      return { ...advice, llmCalls: advice.usage.calls };
    } catch (err) {
      this.logger.warn({ taskId: task.id, err: ensureWorkflowError(err).message }, "failure advisor unavailable; using the rules");
      return undefined;
    }
  }
}

function chain<T>(a: ((x: T) => void) | undefined, b: (x: T) => void): (x: T) => void {
  return a ? (x) => { a(x); b(x); } : b;
}

function resolveWorkspace(dir: string): string {
  const absolute = path.resolve(dir);
  try {
    mkdirSync(absolute, { recursive: true });
    return realpathSync(absolute);
  } catch (err) {
    throw new WorkflowError(ErrorCode.ConfigInvalid, `The workspace "${absolute}" cannot be used: ${(err as Error).message}. Pass --workspace with a folder you can write to.`);
  }
}
