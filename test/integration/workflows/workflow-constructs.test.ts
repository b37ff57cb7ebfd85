import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type PlanInput, type TaskReport, WorkflowEngine, type WorkflowEvent, type WorkflowResult } from "../../../src/index.js";
import { makeTempDir } from "../../fixtures/context.js";
import { type CountingServer, startCountingServer } from "../../fixtures/counting-server.js";

let ws: string;
let cleanup: () => Promise<void>;
let engine: WorkflowEngine;
let api: CountingServer;

function newEngine(events?: (e: WorkflowEvent) => void): WorkflowEngine {
  return new WorkflowEngine({
    workspace: ws,
    env: {},
    workflowsDir: false,
    allowHosts: ["127.0.0.1"],
    concurrency: 16,
    ...(events ? { onEvent: events } : {}),
  });
}

beforeAll(async () => {
  api = await startCountingServer((p) => (p.startsWith("/slow") ? 150 : 0));
});
afterAll(async () => {
  await api.close();
});
beforeEach(async () => {
  ({ dir: ws, cleanup } = await makeTempDir("wf-constructs-"));
  engine = newEngine();
});
afterEach(async () => {
  await engine.close();
  await cleanup();
});

function task(r: WorkflowResult, id: string): TaskReport {
  const t = r.tasks.find((x) => x.id === id);
  if (!t) throw new Error(`no task ${id} in ${r.tasks.map((x) => x.id).join(", ")}`);
  return t;
}

const numbers = { id: "nums", action_type: "transform_data", action_config: { input: [1, 2, 3], expression: "$" } } as const;

describe("conditions", () => {
  it("a true condition runs the task; a false one skips it by condition, with its dependents unless they opt in; the run completes", async () => {
    await engine.library.add({
      name: "cond",
      version: "1.0.0",
      description: "conditions",
      inputs: { min: { type: "number", default: 2 } },
      tasks: [
        numbers,
        {
          id: "big",
          when: "$count(nums.data[$ > $$.inputs.min]) > 0",
          action_type: "transform_data",
          action_config: { input: "{{nums.data}}", expression: "$max($)" },
        },
        {
          id: "huge",
          when: "nums.data[0] > 100",
          action_type: "transform_data",
          action_config: { input: "{{nums.data}}", expression: "$sum($)" },
        },
        { id: "report", dependencies: ["huge"], action_type: "transform_data", action_config: { input: "{{huge.data}}", expression: "$" } },
        { id: "then_report", dependencies: ["report"], action_type: "transform_data", action_config: { input: 1, expression: "$" } },
        {
          id: "anyway",
          dependencies: ["huge"],
          on_dependency_skipped: "run",
          action_type: "transform_data",
          action_config: { input: "{{huge}}", expression: "$ = null" },
        },
      ],
      outputs: { max: "{{big.data}}", sum: "{{huge.data}}" },
    });
    const r = await engine.run({ workflow: "cond", inputs: {} });
    expect(r.status).toBe("completed");
    expect(r.workflow).toBe("cond@1.0.0");
    expect(task(r, "big")).toMatchObject({ status: "completed", result: { data: 3 } });
    expect(task(r, "huge")).toMatchObject({
      status: "skipped",
      skipped_by: "condition",
      skip_reason: 'condition: when "nums.data[0] > 100" was false',
    });
    expect(task(r, "report")).toMatchObject({
      status: "skipped",
      skipped_by: "condition",
      skip_reason: 'condition: dependency "huge" was skipped by its condition',
    });
    expect(task(r, "then_report")).toMatchObject({ status: "skipped", skipped_by: "condition" });
    expect(task(r, "anyway")).toMatchObject({ status: "completed", result: { data: true } });
    expect(task(r, "huge").dependencies).toEqual(["nums"]); // read from the condition
    expect(r.outputs).toEqual({ max: 3 }); // the skipped task's output is absent, not wrong
    const none = await engine.run({ workflow: "cond", inputs: { min: 5 } });
    expect(task(none, "big")).toMatchObject({ status: "skipped", skipped_by: "condition" });
    expect(none.status).toBe("completed");
  });

  it("a condition that is not JSONata is refused before anything runs, naming the task's field", async () => {
    const bad: PlanInput = {
      tasks: [{ id: "a", when: "((", action_type: "transform_data", action_config: { input: 1, expression: "$" } }],
    };
    await expect(engine.run(bad)).rejects.toMatchObject({
      code: "PLAN_INVALID",
      message: expect.stringContaining('tasks[0].when: "((" is not a JSONata expression'),
    });
    expect(await engine.listRuns()).toEqual([]);
  });
});

describe("for_each", () => {
  const loop = (list: unknown, extra: Record<string, unknown> = {}): PlanInput => ({
    tasks: [
      { id: "list", action_type: "transform_data", action_config: { input: list, expression: "$" } },
      {
        id: "each",
        for_each: "{{list.data}}",
        concurrency: 8,
        action_type: "transform_data",
        action_config: { input: "{{item}}", expression: "$ * 10 + {{index}}" },
        ...extra,
      },
      { id: "after", action_type: "transform_data", action_config: { input: "{{each}}", expression: "$count($)" } },
    ],
  });

  it("0, 1 and 100 items: one attempt each, results in order, the loop's dependents see the list", async () => {
    const empty = await engine.run(loop([]));
    expect(empty.status).toBe("completed");
    expect(task(empty, "each").result).toEqual([]);
    expect(task(empty, "after").result).toEqual({ data: 0 });
    const one = await engine.run(loop([7]));
    expect(task(one, "each").result).toEqual([{ data: 70 }]);
    expect(task(one, "each#0")).toMatchObject({ status: "completed", attempts: 1 });
    const hundred = Array.from({ length: 100 }, (_, i) => i);
    const r = await engine.run(loop(hundred));
    expect(r.status).toBe("completed");
    expect(task(r, "each").result).toEqual(hundred.map((i) => ({ data: i * 11 })));
    expect(r.tasks.filter((t) => t.id.startsWith("each#")).every((t) => t.attempts === 1)).toBe(true);
    expect(task(r, "after").result).toEqual({ data: 100 });
  });

  it("at most `concurrency` items run at once", async () => {
    let running = 0;
    let peak = 0;
    const watched = newEngine((e) => {
      if (!e.task_id?.startsWith("each#")) return;
      if (e.type === "task_started") peak = Math.max(peak, ++running);
      if (e.type === "task_completed" || e.type === "task_failed") running--;
    });
    try {
      const r = await watched.run({
        tasks: [{ id: "each", for_each: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], concurrency: 3, action_type: "wait", action_config: { ms: 20 } }],
      });
      expect(r.status).toBe("completed");
      expect(peak).toBeLessThanOrEqual(3);
      expect(peak).toBeGreaterThan(1);
    } finally {
      await watched.close();
    }
  });

  it("an item that fails in the middle: by default it fails the run; with on_failure skip the loop completes with null in its place", async () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i);
    const failing = { action_config: { input: "{{item}}", expression: '$ = 50 ? $error("item 50 is bad") : $' } };
    const failed = await engine.run(loop(hundred, failing));
    expect(failed.status).toBe("failed");
    expect(task(failed, "each#50")).toMatchObject({ status: "failed", error: { code: "TRANSFORM_ERROR" } });
    expect(task(failed, "after").status).toBe("skipped");
    const skipped = await engine.run(loop(hundred, { ...failing, on_failure: "skip" }));
    expect(skipped.status).toBe("completed_with_errors");
    const results = task(skipped, "each").result as unknown[];
    expect(results).toHaveLength(100);
    expect(results[50]).toBeNull();
    expect(results[49]).toEqual({ data: 49 });
    expect(task(skipped, "after").result).toEqual({ data: 100 });
  });

  it("a for_each over a result that is not a list fails that task with a message naming it", async () => {
    const r = await engine.run({
      tasks: [
        { id: "obj", action_type: "transform_data", action_config: { input: { a: 1 }, expression: "$" } },
        { id: "each", for_each: "{{obj.data}}", action_type: "transform_data", action_config: { input: "{{item}}", expression: "$" } },
      ],
    });
    expect(r.status).toBe("failed");
    expect(task(r, "each").error).toMatchObject({
      code: "ACTION_CONFIG_INVALID",
      message: expect.stringContaining('for_each of task "each": {{obj.data}} is object, not a list'),
    });
  });

  it("a run stopped mid-loop resumes without repeating the items that finished", async () => {
    const items = Array.from({ length: 24 }, (_, i) => i);
    const plan: PlanInput = {
      tasks: [{ id: "each", for_each: items, concurrency: 4, action_type: "api_call", action_config: { url: `${api.url}/slow/{{item}}` } }],
    };
    const finished = new Set<string>();
    const suspend = new AbortController();
    const first = newEngine((e) => {
      if (e.type !== "task_completed" || !e.task_id?.startsWith("each#")) return;
      finished.add(e.task_id);
      if (finished.size === 8) suspend.abort("stop mid-loop");
    });
    await expect(first.run(plan, { runId: "mid-loop", suspend: suspend.signal })).rejects.toMatchObject({ code: "RUN_SUSPENDED" });
    await first.close();
    const before = api.counts();
    const r = await engine.resume("mid-loop");
    expect(r.status).toBe("completed");
    expect((task(r, "each").result as { data: { path: string } }[]).map((x) => x.data.path)).toEqual(items.map((i) => `/slow/${i}`));
    for (const id of finished) {
      const path = `/slow/${id.slice("each#".length)}`;
      expect(api.hits(path), path).toBe(before[path]); // finished before the stop: not sent again
    }
    for (const i of items) expect(api.hits(`/slow/${i}`)).toBeGreaterThanOrEqual(1);
    const repeated = items.filter((i) => api.hits(`/slow/${i}`) > 1).length;
    expect(repeated).toBeLessThanOrEqual(4); // at most the items in flight at the stop
  });
});
