import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WorkflowEngine } from "../../../src/engine/workflow-engine.js";
import type { PlanInput } from "../../../src/model/plan-schema.js";
import { runCli } from "../../fixtures/cli.js";
import { makeTempDir } from "../../fixtures/context.js";
import { type CountingServer, startCountingServer } from "../../fixtures/counting-server.js";
import { requireTmux, TmuxPane } from "../../fixtures/tmux-pane.js";

let server: CountingServer;
beforeAll(async () => {
  server = await startCountingServer((p) => (p === "/slow" ? 300 : 0));
});
afterAll(() => server.close());

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});
async function workspace(): Promise<string> {
  const { dir, cleanup } = await makeTempDir("wf-approval-");
  cleanups.push(cleanup);
  return dir;
}

/** A read, a slow read beside it, then a POST and a file write that depend on the read. */
function plan(base: string, prefix: string): PlanInput {
  return {
    tasks: [
      { id: "read", action_type: "api_call", action_config: { url: `${base}/${prefix}-read` } },
      { id: "slow", action_type: "api_call", action_config: { url: `${base}/slow` } },
      {
        id: "post",
        action_type: "api_call",
        action_config: { method: "POST", url: `${base}/${prefix}-post`, body: { n: 1 } },
        dependencies: ["read"],
      },
      {
        id: "save",
        action_type: "file_operation",
        action_config: { operation: "write", path: "out/saved.json", content: "{{post.data}}" },
      },
      { id: "after", action_type: "transform_data", action_config: { input: "{{save.path}}", expression: "$" } },
    ],
  };
}

describe("approval of mutating tasks (--approve ask)", () => {
  it("pauses durably, is approved from a second process, and does each side effect once", async () => {
    const ws = await workspace();
    const file = path.join(ws, "plan.json");
    await writeFile(file, JSON.stringify(plan(server.url, "a")));
    const first = await runCli(["--plan", file, "--workspace", ws, "--approve", "ask", "--json", "--run-id", "appr-1"]);
    expect(first.code, first.stderr).toBe(3);
    const paused = JSON.parse(first.stdout) as { status: string; approval: { tasks: { id: string; action: string }[] } };
    expect(paused.status).toBe("awaiting_approval");
    expect(paused.approval.tasks.map((t) => t.id)).toEqual(["post"]);
    expect(paused.approval.tasks[0]?.action).toBe(`POST ${server.url}/a-post`);
    // The reads ran (the slow one finished before the pause); nothing that changes things did.
    expect(server.hits("/a-read")).toBe(1);
    expect(server.hits("/a-post")).toBe(0);
    await expect(readFile(path.join(ws, "out/saved.json"))).rejects.toThrow();

    const pausedBy = Date.now();
    const listed = await runCli(["runs", "list", "--workspace", ws, "--json"]);
    expect((JSON.parse(listed.stdout) as { run_id: string; status: string }[])[0]).toMatchObject({
      run_id: "appr-1",
      status: "awaiting_approval",
    });
    // runs show says what runs list says, and the paused time is not counted as work.
    const shown = await runCli(["runs", "show", "appr-1", "--workspace", ws, "--json"]);
    const showed = JSON.parse(shown.stdout) as { status: string; approval?: { tasks: { id: string }[] }; metrics: { paused_ms: number } };
    expect(showed.status).toBe("awaiting_approval");
    expect(showed.approval?.tasks.map((t) => t.id)).toEqual(["post"]);
    expect(showed.metrics.paused_ms).toBeGreaterThan(0);

    // The write to the file is a second mutating task: approving the POST leads to a second pause.
    const approvedAt = Date.now();
    const second = await runCli(["runs", "approve", "appr-1", "--workspace", ws, "--json"]);
    expect(second.code, second.stderr).toBe(3);
    expect((JSON.parse(second.stdout) as { approval: { tasks: { id: string }[] } }).approval.tasks.map((t) => t.id)).toEqual(["save"]);
    expect(server.hits("/a-post")).toBe(1);

    const third = await runCli(["runs", "approve", "appr-1", "--workspace", ws, "--json", "--by", "tester"]);
    expect(third.code, third.stderr).toBe(0);
    const done = JSON.parse(third.stdout) as { status: string; tasks: { id: string; status: string }[]; metrics: { paused_ms: number } };
    expect(done.status).toBe("completed");
    // The time between the first pause and the first approval is reported as paused, not as work.
    expect(done.metrics.paused_ms).toBeGreaterThanOrEqual(approvedAt - pausedBy);
    expect(done.tasks.every((t) => t.status === "completed")).toBe(true);
    // Each side effect once: one read, one slow read, one POST, the file written.
    expect(server.hits("/a-read")).toBe(1);
    expect(server.hits("/slow")).toBeGreaterThanOrEqual(1);
    expect(server.hits("/a-post")).toBe(1);
    expect(JSON.parse(await readFile(path.join(ws, "out/saved.json"), "utf8"))).toMatchObject({ path: "/a-post", method: "POST" });

    const again = await runCli(["runs", "approve", "appr-1", "--workspace", ws]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("NOT_AWAITING_APPROVAL");
  }, 180_000);

  it("a rejection skips the task and its dependents; nothing is sent", async () => {
    const ws = await workspace();
    const engine = new WorkflowEngine({ workspace: ws, approve: "ask" });
    try {
      const paused = await engine.run(plan(server.url, "b"), { runId: "appr-2" });
      expect(paused.status).toBe("awaiting_approval");
      const result = await engine.decide("appr-2", { approve: false, reason: "not today" });
      expect(result.status).toBe("completed_with_errors");
      const status = Object.fromEntries(result.tasks.map((t) => [t.id, t.status]));
      expect(status).toEqual({ read: "completed", slow: "completed", post: "skipped", save: "skipped", after: "skipped" });
      expect(result.tasks.find((t) => t.id === "post")?.skip_reason).toContain("not today");
      expect(server.hits("/b-post")).toBe(0);
      await expect(engine.decide("appr-2", { approve: true })).rejects.toMatchObject({ code: "NOT_AWAITING_APPROVAL" });
    } finally {
      await engine.close();
    }
  });

  it("--approve never refuses mutating tasks before they act; auto runs them", async () => {
    const ws = await workspace();
    const engine = new WorkflowEngine({ workspace: ws, approve: "never", persist: "memory" });
    try {
      // The plan shows the mutating tasks: refused before anything runs, naming each and the way to allow it.
      const run = engine.run(plan(server.url, "c"));
      await expect(run).rejects.toMatchObject({ code: "PLAN_REFUSED" });
      const refusals = (await run.catch(
        (e: { details: { refusals: { task: string; code: string; message: string }[] } }) => e.details.refusals,
      )) as { task: string; code: string; message: string }[];
      expect(refusals.find((r) => r.task === "post")).toMatchObject({
        code: "APPROVAL_REFUSED",
        message: expect.stringContaining('approve: "ask"'),
      });
      expect(server.hits("/c-read")).toBe(0);
      expect(server.hits("/c-post")).toBe(0);
    } finally {
      await engine.close();
    }
    const auto = new WorkflowEngine({ workspace: ws, persist: "memory" });
    try {
      const result = await auto.run(plan(server.url, "d"));
      expect(result.status).toBe("completed");
      expect(server.hits("/d-post")).toBe(1);
    } finally {
      await auto.close();
    }
  });
});

describe("--approve ask on a terminal (tmux)", () => {
  it("asks y/N, runs the task on y, and skips it on n", async () => {
    await requireTmux();
    for (const [answer, expected] of [
      ["y", "completed"],
      ["n", "completed_with_errors"],
    ] as const) {
      const ws = await workspace();
      const file = path.join(ws, "plan.json");
      await writeFile(file, JSON.stringify(plan(server.url, `tty-${answer}`)));
      const pane = await TmuxPane.start(ws, ["--plan", file, "--workspace", ws, "--approve", "ask", "--plain"]);
      try {
        await pane.waitFor(/Approve these tasks\? \[y\/N\]/);
        expect(server.hits(`/tty-${answer}-post`)).toBe(0);
        await pane.type(answer);
        if (answer === "y") {
          // The file write is the second mutating task: a second question.
          await pane.waitFor(/- save: write file out\/saved\.json/);
          await pane.type("y");
        }
        const screen = await pane.waitFor(/^\[exit \d+\]$/);
        expect(screen.join("\n")).toContain(`: ${expected}`);
      } finally {
        await pane.kill();
      }
      expect(server.hits(`/tty-${answer}-post`)).toBe(answer === "y" ? 1 : 0);
    }
  });
});
