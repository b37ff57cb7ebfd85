import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../fixtures/cli.js";
import { makeTempDir } from "../fixtures/context.js";

interface JsonTask {
  id: string;
  status: string;
  attempts: number;
  result?: unknown;
  error?: { code: string; message: string };
  started_at?: string;
  finished_at?: string;
}

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir("wf-chaos-transform-"));
});
afterEach(async () => {
  await cleanup();
});

const hostile = (id: string, expression: string) => ({
  id,
  action_type: "transform_data",
  action_config: { input: null, expression },
  on_failure: "skip",
});

describe("a runaway JSONata expression fails its task; the run and the process go on (TRANSFORM_LIMIT)", () => {
  it("endless recursion and a memory bomb beside a normal chain: the chain completes while they run, each fails once", async () => {
    const plan = {
      tasks: [
        hostile("runaway", "($f := function($x){ $f($x+1) }; $f(0))"),
        hostile("bomb", "$count([1..10000000].[1..10000000])"),
        { id: "tick1", action_type: "wait", action_config: { ms: 200 } },
        { id: "tick2", action_type: "wait", action_config: { ms: 200 }, dependencies: ["tick1"] },
        {
          id: "normal",
          action_type: "transform_data",
          action_config: { input: "{{tick2}}", expression: "waited_ms >= 0" },
          dependencies: ["tick2"],
        },
      ],
    };
    const file = path.join(dir, "plan.json");
    await writeFile(file, JSON.stringify(plan));
    // Before: the recursion blocked the event loop for good (no timer, no other task) and the bomb killed V8.
    // 64 MiB: the bomb's first 10^7-item range (80 MB) crosses it, so it ends on memory, never on time, however busy the machine.
    const limits = ["--transform-timeout", "4", "--max-transform-bytes", String(64 * 1024 * 1024)];
    const run = await runCli(["--plan", file, "--workspace", dir, "--json", ...limits], { killAfterMs: 90_000 });
    expect(run.signal ?? null).toBeNull();
    expect(run.code).toBe(1);
    const out = JSON.parse(run.stdout) as { status: string; tasks: JsonTask[] };
    expect(out.status).toBe("completed_with_errors");
    const task = (id: string) => out.tasks.find((t) => t.id === id) as JsonTask;

    expect(task("runaway")).toMatchObject({ status: "skipped", attempts: 1 });
    expect(task("runaway").error).toMatchObject({
      code: "TRANSFORM_LIMIT",
      message: expect.stringContaining("limits.transformTimeoutSeconds"),
    });
    expect(task("bomb")).toMatchObject({ status: "skipped", attempts: 1 });
    expect(task("bomb").error).toMatchObject({ code: "TRANSFORM_LIMIT", message: expect.stringContaining("limits.maxTransformBytes") });

    for (const id of ["tick1", "tick2", "normal"]) expect(task(id)).toMatchObject({ status: "completed", attempts: 1 });
    expect(task("normal").result).toEqual({ data: true });
    // The chain ran while the runaway was running: it ended first.
    expect(Date.parse(task("normal").finished_at ?? "")).toBeLessThan(Date.parse(task("runaway").finished_at ?? ""));
  });
});
