import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { TaskReport, WorkflowResult } from "../../../src/engine/result.js";
import * as api from "../../../src/index.js";
import { getMetrics, printSummary, saveState } from "../../../src/cli/observability.js";
import { makeTempDir } from "../../fixtures/context.js";

function task(id: string, overrides: Partial<TaskReport> = {}): TaskReport {
  return {
    id,
    action_type: "wait",
    action_config: { ms: 10 },
    dependencies: [],
    status: "completed",
    attempts: 1,
    result: { waited_ms: 10 },
    duration_ms: 10,
    ...overrides,
  };
}

/** A finished run with one task of each outcome, retries, LLM use and a plan cache hit. */
function makeResult(overrides: Partial<WorkflowResult> = {}): WorkflowResult {
  return {
    workflow_id: "wf-obs-1",
    status: "completed_with_errors",
    goal: "Fetch the users and save them",
    planner: "llm",
    started_at: "2026-11-22T10:00:00.000Z",
    finished_at: "2026-11-22T10:00:01.200Z",
    tasks: [
      task("fetch", { action_type: "api_call", attempts: 3, result: { status: 200 } }),
      task("shape", { action_type: "transform_data", dependencies: ["fetch"], result: { data: [1, 2] } }),
      task("save", {
        action_type: "file_operation",
        dependencies: ["shape"],
        status: "failed",
        error: { code: "FILE_OUTSIDE_WORKSPACE", message: "../x is outside the workspace", retryable: false },
      }),
      task("notify", { dependencies: ["save"], status: "skipped", attempts: 0, skip_reason: 'dependency "save" failed' }),
    ],
    metrics: {
      tasks_total: 4,
      tasks_completed: 2,
      tasks_failed: 1,
      tasks_skipped: 1,
      retries: 2,
      wall_ms: 1200,
      paused_ms: 0,
      critical_path_ms: 900,
      task_time_ms: 2100,
      parallel_speedup: 1.75,
      llm_calls: 3,
      llm_tokens: 1234,
      plan_cache_hit: true,
    },
    ...overrides,
  };
}

let dir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir("wf-obs-"));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await cleanup();
});

describe("getMetrics", () => {
  it("gives the run's id, status and every figure, as a copy", () => {
    const result = makeResult();
    const m = getMetrics(result);
    expect(m).toEqual({ workflow_id: "wf-obs-1", status: "completed_with_errors", ...result.metrics });
    m.retries = 99;
    expect(result.metrics.retries).toBe(2);
  });

  it("is exported from the package with saveState and printSummary", () => {
    expect(api.getMetrics).toBe(getMetrics);
    expect(api.saveState).toBe(saveState);
    expect(api.printSummary).toBe(printSummary);
  });
});

describe("saveState", () => {
  it("writes the whole result as pretty JSON, creating parent folders, leaving no temporary file", async () => {
    const result = makeResult();
    const file = path.join(dir, "runs", "nested", "wf-obs-1.json");
    expect(await saveState(result, file)).toBe(file);
    const text = await readFile(file, "utf8");
    expect(JSON.parse(text)).toEqual(result);
    expect(text).toBe(`${JSON.stringify(result, null, 2)}\n`);
    expect(await readdir(path.dirname(file))).toEqual(["wf-obs-1.json"]);
  });

  it("replaces an existing file whole: a reader sees the old or the new JSON, never a part", async () => {
    const file = path.join(dir, "state.json");
    await saveState(makeResult({ workflow_id: "old" }), file);
    // About 4 MB, so the write takes many chunks while the reader keeps reading.
    const big = makeResult({
      workflow_id: "new",
      tasks: Array.from({ length: 4000 }, (_, i) => task(`t${i}`, { result: { blob: "x".repeat(1000) } })),
    });
    let done = false;
    const saving = saveState(big, file).finally(() => {
      done = true;
    });
    const seen = new Set<string>();
    let reads = 0;
    while (!done || reads === 0) {
      const parsed = JSON.parse(await readFile(file, "utf8")) as WorkflowResult; // throws on a half-written file
      seen.add(parsed.workflow_id);
      reads++;
    }
    await saving;
    expect(reads).toBeGreaterThan(0);
    expect([...seen].every((id) => id === "old" || id === "new")).toBe(true);
    expect((JSON.parse(await readFile(file, "utf8")) as WorkflowResult).tasks).toHaveLength(4000);
    expect(await readdir(dir)).toEqual(["state.json"]);
  });

  it("on failure throws and removes its temporary file", async () => {
    const target = path.join(dir, "taken");
    await mkdir(path.join(target, "inside"), { recursive: true });
    await writeFile(path.join(target, "inside", "f"), "x");
    await expect(saveState(makeResult(), target)).rejects.toMatchObject({ code: expect.stringMatching(/^(EISDIR|ENOTEMPTY|EEXIST)$/) });
    expect(await readdir(dir)).toEqual(["taken"]);
  });
});

describe("printSummary", () => {
  const lines = (text: string) => text.split("\n");

  it("writes the summary with every figure, then one line per task", () => {
    const chunks: string[] = [];
    printSummary(makeResult(), { write: (c: string) => chunks.push(c) });
    const text = chunks.join("");
    expect(text.endsWith("\n")).toBe(true);
    expect(lines(text)).toEqual([
      "Workflow wf-obs-1: completed_with_errors",
      "Goal: Fetch the users and save them",
      "Plan: by the llm planner (from the plan cache, no planning)",
      "Tasks: 2 completed, 1 failed, 1 skipped of 4; retries 2",
      "Time: 1200 ms wall, critical path 900 ms, parallel speedup 1.75x",
      "LLM: 3 calls, 1234 tokens",
      "Plan cache: hit",
      "",
      '  completed fetch              api_call       {"status":200}',
      '  completed shape              transform_data {"data":[1,2]}',
      "  failed    save               file_operation FILE_OUTSIDE_WORKSPACE: ../x is outside the workspace",
      '  skipped   notify             wait           dependency "save" failed',
      "",
    ]);
  });

  it("shows the figures when there was no LLM and no cache hit, and writes to stdout by default", () => {
    const write = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const result = makeResult({ status: "completed", planner: "provided" });
    result.metrics = { ...result.metrics, llm_calls: 0, llm_tokens: 0, plan_cache_hit: false };
    printSummary(result);
    expect(write).toHaveBeenCalledTimes(1);
    const text = String(write.mock.calls[0]?.[0]);
    expect(lines(text).slice(0, 7)).toEqual([
      "Workflow wf-obs-1: completed",
      "Goal: Fetch the users and save them",
      "Plan: given",
      "Tasks: 2 completed, 1 failed, 1 skipped of 4; retries 2",
      "Time: 1200 ms wall, critical path 900 ms, parallel speedup 1.75x",
      "LLM: 0 calls, 0 tokens",
      "Plan cache: no hit",
    ]);
  });
});
