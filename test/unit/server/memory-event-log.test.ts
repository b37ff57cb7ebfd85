import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { WorkflowEvent } from "../../../src/model/events.js";
import { MemoryEventLog } from "../../../src/server/memory-event-log.js";

const ev = (runId: string, type: WorkflowEvent["type"], task_id?: string): WorkflowEvent => ({
  type,
  run_id: runId,
  at: new Date(0).toISOString(),
  ...(task_id ? { task_id } : {}),
});

async function collect(log: MemoryEventLog, runId: string, after?: string): Promise<{ id: string; event: WorkflowEvent }[]> {
  const out = [];
  for await (const e of log.follow(runId, after, new AbortController().signal)) out.push(e);
  return out;
}

describe("the in-memory event log (SSE without Redis)", () => {
  it("gives each run's events ids 1, 2, 3...; a follower after any id gets exactly the rest, live, ending at run_completed", async () => {
    const log = new MemoryEventLog();
    log.append(ev("r", "run_started"));
    log.append(ev("other", "run_started"));
    const following = collect(log, "r", "1");
    log.append(ev("r", "task_started", "a"));
    log.append(ev("r", "task_completed", "a"));
    log.append(ev("r", "run_completed"));
    log.append(ev("r", "task_started", "after-the-end"));
    const got = await following;
    expect(got.map((e) => [e.id, e.event.type])).toEqual([
      ["2", "task_started"],
      ["3", "task_completed"],
      ["4", "run_completed"],
    ]);
  });

  it("splitting a follow at any id loses and repeats nothing (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 30 }), fc.nat(), async (n, cut) => {
        const log = new MemoryEventLog();
        for (let i = 0; i < n; i++) log.append(ev("r", "task_completed", `t${i}`));
        log.append(ev("r", "run_completed"));
        const all = await collect(log, "r");
        const at = all[cut % all.length]?.id as string;
        const head = all.filter((e) => Number(e.id) <= Number(at));
        const tail = await collect(log, "r", at);
        expect([...head, ...tail]).toEqual(all);
      }),
    );
  });

  it("keeps at most maxPerRun events (oldest dropped, ids unchanged), and a stopped follower returns", async () => {
    const log = new MemoryEventLog(3);
    for (let i = 0; i < 5; i++) log.append(ev("r", "task_completed", `t${i}`));
    const stop = new AbortController();
    const got: string[] = [];
    const following = (async () => {
      for await (const e of log.follow("r", undefined, stop.signal)) got.push(e.id);
    })();
    await new Promise((r) => setImmediate(r));
    stop.abort();
    await following;
    expect(got).toEqual(["3", "4", "5"]);
  });

  it("keeps at most maxRuns runs: the oldest is forgotten and its follower ends", async () => {
    const log = new MemoryEventLog(10, 60_000, 2);
    log.append(ev("a", "run_started"));
    const following = collect(log, "a", "1");
    log.append(ev("b", "run_started"));
    log.append(ev("c", "run_started"));
    expect(await following).toEqual([]);
    expect([log.has("a"), log.has("b"), log.has("c")]).toEqual([false, true, true]);
  });
});
