import { ErrorCode, WorkflowError } from "../model/errors.js";
import type { WorkflowGraph } from "../graph/build-graph.js";
import type { ListRunsOptions, RunRecord } from "../persistence/run-store.js";
import type { ScheduleStore } from "../persistence/schedule-store.js";
import type { WorkflowStateValue } from "../graph/workflow-state.js";
import type { WorkflowEvent } from "../model/events.js";
import type { ApprovalRequest } from "../safety/approval/approval.js";
import { readPause } from "./approval-gate.js";
import { type CheckpointSummary, exportRun, pruneRuns, runHistory } from "./run-admin.js";
import { notFound } from "./run-records.js";
import type { QueueMetrics } from "../model/executor.js";
import { toResult, type WorkflowResult } from "./result.js";
import type { EventEntry } from "../persistence/event-stream.js";
import { type AttemptSpan, attemptTimeline } from "./attempt-timeline.js";

import { EngineCore } from "./engine-core.js";

/** An engine's reads of its runs: records, states, results, history, events, schedules and queues. */
export abstract class RunReads extends EngineCore {
  /** The compiled LangGraph graph, with this engine's checkpointer (for LangGraph tooling). */
  async compiledGraph(): Promise<WorkflowGraph> {
    return (await this.open()).graph;
  }

  /** The approval a paused run waits for, or undefined. */
  async pendingApproval(runId: string): Promise<ApprovalRequest | undefined> {
    return (await readPause((await this.open()).graph, runId)).waiting;
  }

  /** Follow a run's live events from Redis (another process may be running it); ends with the run. */
  watch(runId: string, signal?: AbortSignal): AsyncGenerator<WorkflowEvent> {
    if (!this.redisUrl())
      throw new WorkflowError(ErrorCode.ConfigInvalid, "Watching a run needs Redis: set REDIS_URL (e.g. redis://127.0.0.1:6379).");
    return this.watchEvents(runId, signal);
  }

  protected async *watchEvents(runId: string, signal?: AbortSignal): AsyncGenerator<WorkflowEvent> {
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

  protected async *followEntries(runId: string, options: { after?: string; signal?: AbortSignal }): AsyncGenerator<EventEntry> {
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
  protected async loadRun(runId: string): Promise<{ record: RunRecord; state: WorkflowStateValue; graph: WorkflowGraph }> {
    const { persistence, graph } = await this.open();
    const [record, state] = await Promise.all([persistence.runs.get(runId), this.getState(runId)]);
    if (!record || !state) throw notFound(runId, persistence);
    return { record, state, graph };
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
}
