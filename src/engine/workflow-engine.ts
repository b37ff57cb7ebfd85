import { randomUUID } from "node:crypto";
import { ErrorCode, WorkflowError } from "../model/errors.js";
import type { Plan, PlanInput } from "../model/plan-schema.js";
import type { RunOptions } from "./engine-options.js";
import type { WorkflowEvent } from "../model/events.js";
import { Command } from "@langchain/langgraph";
import type { ApprovalDecision } from "../safety/approval/approval.js";
import { buildRunSafety } from "../safety/run-safety.js";
import { envValues } from "../safety/secrets/access.js";
import { checkDecision, readPause } from "./approval-gate.js";
import { initialState, notFound, recordResult, refuseExisting } from "./run-records.js";
import { preflight } from "../executor/preflight.js";
import { toResult, type WorkflowResult } from "./result.js";
import { streamRun } from "./stream-run.js";
import { rollbackPlan, type UndoStep } from "./rollback-plan.js";
import { compensationTasks, startRollback } from "../scheduler/rollback.js";
import { isWorkflowCall, type WorkflowCall } from "./workflow-library.js";
import type { RunTrace } from "../model/telemetry.js";

import { RunReads } from "./run-reads.js";

/** A new run id: `wf-<uuid>`. */
export function newRunId(): string {
  return `wf-${randomUUID()}`;
}

/** Runs goals and plans: plans them, schedules their tasks as a dataflow, handles failures, keeps history. */
export class WorkflowEngine extends RunReads {
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

  protected async start(runId: string, goalOrPlan: string | PlanInput | WorkflowCall, options: RunOptions): Promise<WorkflowResult> {
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

  protected async startTraced(
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
  async cancel(runId: string, given = "cancelled on request"): Promise<"cancelled" | "requested"> {
    // Kept on the lease row and in the tasks' errors: bounded like any text a caller writes.
    const reason = given.length > 2000 ? `${given.slice(0, 1999)}…` : given;
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

  /** Run and yield every event as it happens; the generator's return value is the result. */
  stream(goalOrPlan: string | PlanInput, options: RunOptions = {}): AsyncGenerator<WorkflowEvent, WorkflowResult> {
    return streamRun((onEvent) => this.run(goalOrPlan, { ...options, onEvent: chain(options.onEvent, onEvent) }));
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
