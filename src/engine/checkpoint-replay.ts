import { BaseCheckpointSaver, type CheckpointTuple, DeltaChannel, type StateSnapshot } from "@langchain/langgraph";
import type { RunnableConfig } from "@langchain/core/runnables";
import { ErrorCode, WorkflowError } from "../model/errors.js";
import type { TaskState, TaskStatus } from "../model/task-state.js";
import type { WorkflowGraph } from "../graph/build-graph.js";
import { TaskStatusTally } from "./task-status-tally.js";

/** The state channel whose statuses a history lists. */
const TASKS = "tasks";
/** The key under which LangGraph lends a checkpointer to a graph for one call (its subgraphs get theirs so). */
const LENT_CHECKPOINTER = "__pregel_checkpointer";

/** One checkpoint of a run with LangGraph's view of it (step, next nodes, context) and the task counts then. */
export interface ReplayedCheckpoint {
  snapshot: StateSnapshot;
  tasks: Partial<Record<TaskStatus, number>>;
}

/**
 * A run's newest `limit` checkpoints, newest first, each with its task counts, at a cost linear in the
 * number of checkpoints. LangGraph's `getStateHistory` rebuilds each checkpoint's delta channels
 * (`tasks`, `history`: src/graph/workflow-state.ts) by walking its ancestors, so a history of n
 * checkpoints cost O(n²) reads. Here the checkpoints are read once (one `list`), the `tasks` channel is
 * folded forward from one checkpoint to the next with the step's writes, and LangGraph builds each
 * snapshot (next nodes, context) from a checkpointer lent for this read that answers the delta channels
 * with nothing to replay: in the snapshots yielded, `tasks` and `history` are empty and the counts come
 * from the fold.
 */
export async function replayCheckpoints(graph: WorkflowGraph, runId: string, limit: number): Promise<ReplayedCheckpoint[]> {
  const saver = graph.checkpointer;
  if (!(saver instanceof BaseCheckpointSaver)) throw new WorkflowError(ErrorCode.Internal, "The run history needs a checkpointer.");
  const tuples: CheckpointTuple[] = [];
  for await (const tuple of saver.list({ configurable: { thread_id: runId, checkpoint_ns: "" } })) tuples.push(tuple);
  tuples.reverse();
  const counts = await foldTaskCounts(graph, saver, tuples, Math.max(0, tuples.length - limit));
  const kept = tuples.slice(counts.from).reverse();
  const out: ReplayedCheckpoint[] = [];
  const lent = new ListedCheckpoints(kept, saver, deltaChannels(graph));
  let i = kept.length - 1;
  for await (const snapshot of graph.getStateHistory({ configurable: { thread_id: runId, [LENT_CHECKPOINTER]: lent } })) {
    out.push({ snapshot, tasks: counts.byIndex[i--] ?? {} });
  }
  return out;
}

/** Task counts at every checkpoint from index `from` on (oldest first), by folding each step's writes once. */
async function foldTaskCounts(
  graph: WorkflowGraph,
  saver: BaseCheckpointSaver,
  tuples: readonly CheckpointTuple[],
  from: number,
): Promise<{ from: number; byIndex: Partial<Record<TaskStatus, number>>[] }> {
  const spec: unknown = (graph.channels as Record<string, unknown>)[TASKS];
  if (!(spec instanceof DeltaChannel)) {
    throw new WorkflowError(ErrorCode.Internal, `The "${TASKS}" channel is not a DeltaChannel; the history fold does not apply.`);
  }
  const tally = new TaskStatusTally();
  const byIndex: Partial<Record<TaskStatus, number>>[] = [];
  let channel: DeltaChannel<Record<string, TaskState>, Record<string, Partial<TaskState>>> | undefined;
  for (const [i, tuple] of tuples.entries()) {
    const previous = tuples[i - 1];
    const stored = tuple.checkpoint.channel_values[TASKS];
    if (stored !== undefined) {
      channel = spec.fromCheckpoint(stored) as typeof channel;
      tally.reset(mapOf(channel));
    } else if (channel && previous && tuple.parentConfig?.configurable?.checkpoint_id === previous.checkpoint.id) {
      const writes = (previous.pendingWrites ?? []).filter((w) => w[1] === TASKS);
      channel.replayWrites(writes);
      const touched = writes.map((w) => w[2]);
      if (touched.some(isOverwrite)) tally.reset(mapOf(channel));
      else
        tally.update(
          mapOf(channel),
          touched.flatMap((patches) => Object.keys(patches as object)),
        );
    } else {
      // The first checkpoint read, or one whose parent is not the one before it (a fork): rebuild it the slow way.
      const history = (await saver.getDeltaChannelHistory({ config: tuple.config, channels: [TASKS] }))[TASKS];
      channel = spec.fromCheckpoint(history?.seed) as typeof channel;
      channel?.replayWrites(history?.writes ?? []);
      tally.reset(mapOf(channel));
    }
    if (i >= from) byIndex.push(tally.counts());
  }
  return { from, byIndex };
}

function mapOf(channel: { isAvailable(): boolean; get(): Record<string, TaskState> } | undefined): Record<string, TaskState> {
  return channel?.isAvailable() ? channel.get() : {};
}

/** LangGraph's Overwrite, as stored (it replaces the whole map). */
function isOverwrite(value: unknown): boolean {
  return (
    typeof value === "object" && value !== null && ("__overwrite__" in value || (value as { type?: unknown }).type === "__overwrite__")
  );
}

function deltaChannels(graph: WorkflowGraph): Set<string> {
  return new Set(
    Object.entries(graph.channels as Record<string, unknown>).flatMap(([name, spec]) => (spec instanceof DeltaChannel ? [name] : [])),
  );
}

/**
 * A read-only checkpointer over checkpoints already read, lent to LangGraph for one `getStateHistory`: it
 * lists them as given and has no writes of the delta channels to replay (any other channel LangGraph asks
 * to replay is read from the real checkpointer).
 */
class ListedCheckpoints extends BaseCheckpointSaver {
  private readonly byId: Map<string, CheckpointTuple>;

  constructor(
    private readonly tuples: readonly CheckpointTuple[],
    private readonly inner: BaseCheckpointSaver,
    private readonly skipped: ReadonlySet<string>,
  ) {
    super();
    this.byId = new Map(tuples.map((t) => [t.checkpoint.id, t]));
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    return this.byId.get(String(config.configurable?.checkpoint_id ?? ""));
  }

  async *list(): AsyncGenerator<CheckpointTuple> {
    yield* this.tuples;
  }

  override async getDeltaChannelHistory(options: {
    config: RunnableConfig;
    channels: string[];
  }): ReturnType<BaseCheckpointSaver["getDeltaChannelHistory"]> {
    const replayed = options.channels.filter((ch) => !this.skipped.has(ch));
    const read = replayed.length ? await this.inner.getDeltaChannelHistory({ config: options.config, channels: replayed }) : {};
    return { ...Object.fromEntries(options.channels.map((ch) => [ch, { writes: [] }])), ...read };
  }

  put(): Promise<RunnableConfig> {
    return Promise.reject(new Error("ListedCheckpoints is read-only"));
  }

  putWrites(): Promise<void> {
    return Promise.reject(new Error("ListedCheckpoints is read-only"));
  }

  deleteThread(): Promise<void> {
    return Promise.reject(new Error("ListedCheckpoints is read-only"));
  }
}
