import type { BaseCheckpointSaver } from "@langchain/langgraph";
import type { Persistence } from "./open-persistence.js";
import type { ListRunsOptions, RunRecord, RunStore } from "./run-store.js";

/** Throws when this process may no longer write the run (it held the run's lease and lost it). */
export type WriteFence = (runId: string) => void | Promise<void>;

/** The fence each patched checkpointer consults (replaced, not stacked, when a checkpointer is fenced again). */
const fences = new WeakMap<BaseCheckpointSaver, WriteFence>();

/**
 * Every write of a run passes `fence` first: checkpoints, pending writes, deleting its thread, its record.
 * A process that lost a run's lease thus writes nothing more of it, not even the steps it was finishing
 * when it noticed, so the new holder's checkpoints are never interleaved with a stale one's. The
 * checkpointer is patched in place (LangGraph holds that instance); the run store is wrapped.
 */
export function fenceWrites(persistence: Persistence, fence: WriteFence): Persistence {
  fenceCheckpointer(persistence.checkpointer, fence);
  return { ...persistence, runs: new FencedRunStore(persistence.runs, fence) };
}

function fenceCheckpointer(saver: BaseCheckpointSaver, fence: WriteFence): void {
  const patched = fences.has(saver);
  fences.set(saver, fence);
  if (patched) return;
  const check = (runId: unknown) => fences.get(saver)?.(String(runId ?? ""));
  const { put, putWrites, deleteThread } = saver;
  // async: a refused write is a rejected promise, as callers that `.catch()` expect.
  saver.put = async (config, ...rest) => {
    await check(config.configurable?.thread_id);
    return put.call(saver, config, ...rest);
  };
  saver.putWrites = async (config, ...rest) => {
    await check(config.configurable?.thread_id);
    return putWrites.call(saver, config, ...rest);
  };
  saver.deleteThread = async (threadId) => {
    await check(threadId);
    return deleteThread.call(saver, threadId);
  };
}

class FencedRunStore implements RunStore {
  constructor(
    private readonly inner: RunStore,
    private readonly fence: WriteFence,
  ) {}

  async upsert(record: RunRecord): Promise<void> {
    await this.fence(record.run_id);
    return this.inner.upsert(record);
  }

  get(runId: string): Promise<RunRecord | undefined> {
    return this.inner.get(runId);
  }

  list(options?: ListRunsOptions): Promise<RunRecord[]> {
    return this.inner.list(options);
  }

  async delete(runId: string): Promise<boolean> {
    await this.fence(runId);
    return this.inner.delete(runId);
  }

  updatedBefore(cutoff: Date): Promise<string[]> {
    return this.inner.updatedBefore(cutoff);
  }
}
