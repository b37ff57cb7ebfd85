import type { WorkflowEngine } from "../engine/workflow-engine.js";
import { ErrorCode, WorkflowError } from "../model/errors.js";
import type { EventEntry } from "../persistence/event-stream.js";
import type { MemoryEventLog } from "./memory-event-log.js";

/** The id of the one event sent for a run that ended before anyone could follow its events. */
const FINAL_EVENT_ID = "final";

/**
 * A run's events for a client, each with an id it can hand back (Last-Event-ID) to continue without a gap or
 * a repeat: from Redis when configured (any process's runs), else from this server's memory (its own runs).
 * A run that has ended and whose events are gone gives one run_completed with its final status.
 */
export async function runEvents(
  engine: WorkflowEngine,
  log: MemoryEventLog,
  runId: string,
  after: string | undefined,
  signal: AbortSignal,
): Promise<AsyncGenerator<EventEntry>> {
  const record = await engine.runRecord(runId);
  if (!record && !log.has(runId)) {
    throw new WorkflowError(ErrorCode.RunNotFound, `No run "${runId}". List the runs with GET /runs.`);
  }
  if (after === FINAL_EVENT_ID) return (async function* () {})();
  const final = record?.finished_at ? finalEvent(record.run_id, record.status, record.finished_at) : undefined;
  const redis = engine.followEvents(runId, { ...(after === undefined ? {} : { after }), signal });
  if (redis) {
    if (final && !(await engine.hasRunEvents(runId))) return once(final);
    return redis;
  }
  if (log.has(runId)) return log.follow(runId, after, signal);
  if (final) return once(final);
  throw new WorkflowError(
    ErrorCode.RedisUnavailable,
    `Run "${runId}" is driven by another process; following its events needs Redis: start the servers with REDIS_URL.`,
  );
}

function finalEvent(runId: string, status: string, at: string): EventEntry {
  return { id: FINAL_EVENT_ID, event: { type: "run_completed", run_id: runId, at, status: status as never } };
}

async function* once(entry: EventEntry): AsyncGenerator<EventEntry> {
  yield entry;
}
