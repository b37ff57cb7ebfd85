import { Annotation, DeltaChannel, END, MemorySaver, START, StateGraph } from "@langchain/langgraph";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { replayCheckpoints } from "../../../src/engine/checkpoint-replay.js";
import type { WorkflowGraph } from "../../../src/graph/build-graph.js";
import { mergeTasks } from "../../../src/graph/workflow-state.js";
import { type TaskPatch, type TaskState, TaskStatus } from "../../../src/model/task-state.js";

/**
 * A small graph with the engine's `tasks` delta channel and reducer, but a full snapshot every 3 updates
 * (the engine's is every 2000), so the fold meets snapshots, and forks (updateState on an older checkpoint).
 */
function stepper(batches: readonly Record<string, TaskPatch>[]) {
  const State = Annotation.Root({
    i: Annotation<number>({ reducer: (_a, b) => b, default: () => 0 }),
    tasks: () =>
      new DeltaChannel<Record<string, TaskState>, Record<string, TaskPatch>>(mergeTasks, {
        initialValueFactory: () => ({}),
        snapshotFrequency: 3,
      }),
  });
  return new StateGraph(State)
    .addNode("step", (s) => ({ i: s.i + 1, tasks: batches[s.i] ?? {} }))
    .addEdge(START, "step")
    .addConditionalEdges("step", (s) => (s.i < batches.length ? "step" : END), ["step", END])
    .compile({ checkpointer: new MemorySaver() });
}

/** What LangGraph's own history shows: each checkpoint's tasks rebuilt from its ancestors, then counted. */
async function reference(graph: ReturnType<typeof stepper>, threadId: string, limit: number) {
  const out: { id: string; next: string[]; tasks: Record<string, number> }[] = [];
  for await (const snap of graph.getStateHistory({ configurable: { thread_id: threadId } }, { limit })) {
    const tasks: Record<string, number> = {};
    for (const t of Object.values((snap.values as { tasks?: Record<string, TaskState> }).tasks ?? {}))
      tasks[t.status] = (tasks[t.status] ?? 0) + 1;
    out.push({ id: String(snap.config.configurable?.checkpoint_id), next: [...snap.next], tasks });
  }
  return out;
}

async function folded(graph: ReturnType<typeof stepper>, threadId: string, limit: number) {
  const replayed = await replayCheckpoints(graph as unknown as WorkflowGraph, threadId, limit);
  return replayed.map((r) => ({ id: String(r.snapshot.config.configurable?.checkpoint_id), next: [...r.snapshot.next], tasks: r.tasks }));
}

const patch = fc.record({ status: fc.constantFrom(...TaskStatus) }) as fc.Arbitrary<TaskPatch>;
const batch = fc.dictionary(fc.constantFrom("a", "b", "c", "d", "e", "f"), patch, { minKeys: 1, maxKeys: 4 });

describe("replayCheckpoints", () => {
  it("gives every checkpoint the task counts LangGraph rebuilds, key order included, across snapshots", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(batch, { minLength: 1, maxLength: 14 }), fc.integer({ min: 1, max: 20 }), async (batches, limit) => {
        const graph = stepper(batches);
        await graph.invoke({}, { configurable: { thread_id: "t" }, recursionLimit: 100 });
        expect(JSON.stringify(await folded(graph, "t", 1000))).toBe(JSON.stringify(await reference(graph, "t", 1000)));
        expect(JSON.stringify(await folded(graph, "t", limit))).toBe(JSON.stringify(await reference(graph, "t", limit)));
      }),
      { numRuns: 40 },
    );
  });

  it("follows a fork (a checkpoint whose parent is not the one before it)", async () => {
    const batches = [
      { a: { status: "running" } },
      { a: { status: "completed" }, b: { status: "running" } },
      { c: { status: "failed" } },
    ] as Record<string, TaskPatch>[];
    const graph = stepper(batches);
    await graph.invoke({}, { configurable: { thread_id: "f" }, recursionLimit: 100 });
    const history = await reference(graph, "f", 1000);
    const older = history[2]?.id;
    await graph.updateState({ configurable: { thread_id: "f", checkpoint_id: older } }, { tasks: { d: { status: "skipped" } } }, "step");
    const forked = await reference(graph, "f", 1000);
    expect(forked.length).toBe(history.length + 1);
    expect(forked[0]?.tasks).toMatchObject({ skipped: 1 });
    expect(JSON.stringify(await folded(graph, "f", 1000))).toBe(JSON.stringify(forked));
  });

  it("lists a thread with no checkpoints as empty", async () => {
    expect(await folded(stepper([]), "none", 10)).toEqual([]);
  });
});
