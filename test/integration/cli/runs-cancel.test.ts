import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../../fixtures/cli.js";
import { makeTempDir } from "../../fixtures/context.js";
import { until } from "../../fixtures/graph-harness.js";
import { plan, waitTask } from "../../fixtures/plans.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function workspaceWith(planJson: unknown): Promise<{ ws: string; file: string }> {
  const { dir, cleanup } = await makeTempDir("wf-cancel-");
  cleanups.push(cleanup);
  const file = path.join(dir, "plan.json");
  await writeFile(file, JSON.stringify(planJson));
  return { ws: dir, file };
}

describe("runs cancel", () => {
  it("cancels a run another process drives: that process ends it failed with CANCELLED at its next lease renewal", async () => {
    const { ws, file } = await workspaceWith(plan(waitTask("long", 120_000), waitTask("after", 0, ["long"])));
    const running = runCli(["--plan", file, "--workspace", ws, "--run-id", "c-1", "--lease-seconds", "2", "--json"], { timeoutMs: 90_000 });
    await until(async () => (await runCli(["runs", "show", "c-1", "--workspace", ws, "--json"])).code === 0, 30_000);
    const cancel = await runCli(["runs", "cancel", "c-1", "--workspace", ws, "--reason", "no longer needed"]);
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stdout).toContain("asked the process that drives run c-1 to cancel it");
    const ended = await running;
    expect(ended.code).toBe(1);
    const result = JSON.parse(ended.stdout) as { status: string; tasks: { status: string; error?: { code: string; message: string } }[] };
    expect(result.status).toBe("failed");
    expect(result.tasks.map((t) => t.status)).toEqual(["failed", "skipped"]);
    expect(result.tasks[0]?.error?.code).toBe("CANCELLED");
    expect(result.tasks[0]?.error?.message).toContain("no longer needed");
  });

  it("cancels a paused run nobody drives at once; a finished run is refused with RUN_FINISHED (exit 2)", async () => {
    const { ws, file } = await workspaceWith(
      plan({ id: "save", action_type: "file_operation", action_config: { operation: "write", path: "x.txt", content: "x" } }),
    );
    const paused = await runCli(["--plan", file, "--workspace", ws, "--run-id", "c-2", "--approve", "ask"]);
    expect(paused.code).toBe(3);
    const cancel = await runCli(["runs", "cancel", "c-2", "--workspace", ws]);
    expect([cancel.code, cancel.stdout.trim()]).toEqual([0, "cancelled run c-2"]);
    const shown = JSON.parse((await runCli(["runs", "show", "c-2", "--workspace", ws, "--json"])).stdout) as { status: string };
    expect(shown.status).toBe("failed");
    const again = await runCli(["runs", "cancel", "c-2", "--workspace", ws]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("RUN_FINISHED");
  });
});
