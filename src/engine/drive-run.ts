import type { Logger } from "../../utils/logger.js";
import { ErrorCode, ensureWorkflowError, WorkflowError } from "../model/errors.js";
import type { WorkflowGraph } from "../graph/build-graph.js";
import type { Persistence } from "../persistence/open-persistence.js";
import { armRunDeadline } from "../safety/limits/run-deadline.js";
import type { SecretScrubber } from "../safety/secrets/scrubber.js";
import type { RunContext } from "../model/task-state.js";
import { runViewOf, type WorkflowStateValue } from "../graph/workflow-state.js";
import { approvalIn } from "./approval-gate.js";
import type { RunOptions } from "./engine-options.js";
import type { EventListener, WorkflowEvent } from "../model/events.js";
import { forgetUnplanned, recordResult } from "./run-records.js";
import type { Executor } from "../model/executor.js";
import { RunLoop } from "../scheduler/run-loop.js";
import { toResult, type WorkflowResult } from "./result.js";
import type { MetricsSink, RunTrace, Telemetry } from "../model/telemetry.js";
import { logFields } from "../telemetry/traceparent.js";
import { tracedExecutor } from "./traced-executor.js";

/** An event that says why the run is driven, right after run_started (e.g. rollback_started). */
export type OpeningEvent = Omit<WorkflowEvent, "run_id" | "at">;

/** What driving one run through the graph needs from the engine. */
export interface DriveContext {
  graph: WorkflowGraph;
  persistence: Persistence;
  loops: Map<string, RunLoop>;
  executor: Executor;
  /** Listeners of every run (engine options, Redis); the run's own comes with its options. */
  listeners: readonly EventListener[];
  /** Flushes what the Redis publisher still holds. */
  flushEvents?: () => Promise<void>;
  secrets: SecretScrubber;
  logger: Logger;
  recursionLimit: number;
  getState(runId: string): Promise<WorkflowStateValue | undefined>;
  /** Tracing, when on: a root span per drive (given when the engine opened it before planning). */
  telemetry?: Telemetry | undefined;
  trace?: RunTrace | undefined;
  metrics?: MetricsSink | undefined;
}

/**
 * Invoke the graph for a run (a new input, `null` to resume, or a `Command` answering an approval), until it
 * ends or pauses for approval; record the outcome. Events and the result are scrubbed of secrets. `known` is
 * the run's context when the caller has already read it (resume, approval), to spare another read.
 */
export async function driveRun(
  ctx: DriveContext,
  runId: string,
  input: unknown,
  options: Omit<RunOptions, "runId">,
  detail: string,
  known?: RunContext,
  opening?: OpeningEvent,
): Promise<WorkflowResult> {
  const { graph, persistence, secrets } = ctx;
  // A new run's input carries its policy beside its context; a resumed run's context has it (getState).
  const given = input as WorkflowStateValue | null;
  const context = given?.context ? runViewOf(given).context : (known ?? (await ctx.getState(runId))?.context);
  const trace = ctx.trace ?? ctx.telemetry?.startRun({ runId, detail, ...runTraceOf(context) });
  const loop = new RunLoop(runId, trace ? tracedExecutor(ctx.executor, trace) : ctx.executor);
  ctx.loops.set(runId, loop);
  const listeners = [
    ...ctx.listeners,
    ...(options.onEvent ? [options.onEvent] : []),
    ...(trace ? [(e: WorkflowEvent) => trace.observe(e)] : []),
  ];
  let ended: { status?: WorkflowResult["status"]; error?: unknown } = {};
  const unsubscribe = listeners.map((l) => loop.events.subscribe((e) => l(secrets.scrub(e))));
  const onAbort = () => loop.cancel(String(options.signal?.reason ?? "the run was cancelled"));
  const disarm = armRunDeadline(context?.safety, context?.started_at, (reason, error) => loop.cancel(reason, error));
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    options.onAccepted?.(runId);
    loop.events.emit({ type: "run_started", detail });
    if (opening) loop.events.emit(opening);
    const final = (await graph.invoke(input as never, {
      configurable: { thread_id: runId },
      ...(options.suspend ? { signal: options.suspend } : {}),
      recursionLimit: ctx.recursionLimit,
      // Each step's checkpoint is written before the next step starts: needed for crash safety, and
      // what makes the in-place task map safe (src/graph/workflow-state.ts).
      durability: "sync",
    })) as WorkflowStateValue & { __interrupt__?: { value?: unknown }[] };
    loop.events.flush(); // the last step is committed once invoke returns
    const waiting = approvalIn(final.__interrupt__);
    const result: WorkflowResult = secrets.scrub(toResult(final, waiting));
    // Recorded first: a client that reads the run when the event reaches it finds it paused.
    await recordResult(persistence, result);
    if (waiting)
      loop.events.emit({ type: "approval_requested", status: "awaiting_approval", detail: waiting.tasks.map((t) => t.id).join(", ") });
    ctx.logger.info({ runId: runId, status: result.status, wall_ms: result.metrics.wall_ms, ...logFields(trace?.carrier) }, "run finished");
    ended = { status: result.status };
    ctx.metrics?.runFinished(finishedFigures(result, given?.context ? undefined : context));
    return result;
  } catch (err) {
    ended = { error: err };
    if (options.suspend?.aborted) {
      // Not a failure: the run stays as its last checkpoint left it, for a resume here or elsewhere.
      loop.cancel("the run was suspended");
      throw new WorkflowError(
        ErrorCode.RunSuspended,
        `Run "${runId}" was suspended (${String(options.suspend.reason ?? "shutdown")}). Continue it with: runs resume ${runId}`,
      );
    }
    loop.cancel("the run stopped on an error");
    await forgetUnplanned(persistence, runId, await ctx.getState(runId).catch(() => undefined));
    throw secrets.scrub(ensureWorkflowError(err));
  } finally {
    loop.events.flush();
    options.signal?.removeEventListener("abort", onAbort);
    disarm();
    await loop.settle();
    for (const u of unsubscribe) u();
    ctx.loops.delete(runId);
    trace?.end(ended.status, ended.error);
    await ctx.flushEvents?.();
  }
}

/** What a resumed run's root span names: its goal and its first trace. */
function runTraceOf(context: RunContext | undefined): { goal?: string; first?: RunContext["trace"] } {
  return { ...(context?.goal === undefined ? {} : { goal: context.goal }), ...(context?.trace ? { first: context.trace } : {}) };
}

/** A drive's figures for the metrics: LLM use since `before` (the context it resumed from; none for a new run). */
function finishedFigures(result: WorkflowResult, before: RunContext | undefined) {
  const tokensBefore = (before?.llm_prompt_tokens ?? 0) + (before?.llm_completion_tokens ?? 0);
  return {
    status: result.status,
    llmCalls: Math.max(0, result.metrics.llm_calls - (before?.llm_calls ?? 0)),
    llmTokens: Math.max(0, result.metrics.llm_tokens - tokensBefore),
    planCacheHit: before === undefined && result.metrics.plan_cache_hit,
  };
}
