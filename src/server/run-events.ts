import type { WorkflowEngine } from "../engine/workflow-engine.js";
import { ErrorCode, WorkflowError } from "../model/errors.js";
import type { EventEntry } from "../persistence/event-stream.js";
import type { MemoryEventLog } from "./memory-event-log.js";

/** The id of the one event sent for a run that ended before anyone could follow its events. */
const FINAL_EVENT_ID = "final";

/**
 * What a client following a run gets: the events of a run still going, live (`live`), or the rest of an ended
 * run's events, all known now (`ended`; empty when the client has them all: the server then answers 204, which
 * tells EventSource to stop reconnecting).
 */
export type RunEvents = { live: AsyncGenerator<EventEntry> } | { ended: EventEntry[] };

/**
 * A run's events for a client, each with an id it can hand back (Last-Event-ID) to continue without a gap or
 * a repeat: from Redis when configured (any process's runs), else from this server's memory (its own runs).
 * An ended run whose events are gone gives one run_completed with its final status.
 */
export async function runEvents(
  engine: WorkflowEngine,
  log: MemoryEventLog,
  runId: string,
  after: string | undefined,
  signal: AbortSignal,
): Promise<RunEvents> {
  const record = await engine.runRecord(runId);
  if (!record && !log.has(runId)) {
    throw new WorkflowError(ErrorCode.RunNotFound, `No run "${runId}". List the runs with GET /runs.`);
  }
  if (after === FINAL_EVENT_ID) return { ended: [] };
  if (record?.finished_at) {
    const final: EventEntry = {
      id: FINAL_EVENT_ID,
      event: { type: "run_completed", run_id: runId, at: record.finished_at, status: record.status },
    };
    const stored = (await engine.storedEvents(runId, after)) ?? log.stored(runId, after);
    if (stored && (stored.length > 0 || after !== undefined)) return { ended: stored };
    return { ended: [final] };
  }
  const redis = engine.followEvents(runId, { ...(after === undefined ? {} : { after }), signal });
  if (redis) return { live: redis };
  if (log.has(runId)) return { live: log.follow(runId, after, signal) };
  throw new WorkflowError(
    ErrorCode.RedisUnavailable,
    `Run "${runId}" is driven by another process; following its events needs Redis: start the servers with REDIS_URL.`,
  );
}
