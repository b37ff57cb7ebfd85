import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LiveView } from "../../../src/cli/live-view.js";
import { progressMode } from "../../../src/cli/progress.js";
import type { WorkflowEvent } from "../../../src/model/events.js";
import { runCli } from "../../fixtures/cli.js";
import { makeTempDir } from "../../fixtures/context.js";
import { requireTmux, TmuxPane } from "../../fixtures/tmux-pane.js";
import { plan, waitTask } from "../../fixtures/plans.js";

const ESC = "\u001b";
/** Any escape code, and a colour (SGR) code. */
const ESCAPE = new RegExp(ESC);
const SGR = new RegExp(`${ESC}\\[[\\d;]*m`);

let root: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir: root, cleanup } = await makeTempDir("wf-live-"));
});
afterEach(async () => {
  await cleanup();
});

/** Two parallel waits, then a chain of two: four tasks of ~300 ms. */
async function diamondPlan(): Promise<string> {
  const file = path.join(root, "plan.json");
  await writeFile(
    file,
    JSON.stringify(
      plan(
        waitTask("fetch_a", 300),
        waitTask("fetch_b", 300),
        waitTask("merge", 300, ["fetch_a", "fetch_b"]),
        waitTask("publish", 300, ["merge"]),
      ),
    ),
  );
  return file;
}

const TASKS = ["fetch_a", "fetch_b", "merge", "publish"] as const;

/** A live-view row of a task: symbol, id, action type, status, then "attempt N" (summary rows have no "attempt"). */
function liveRow(id: string): RegExp {
  return new RegExp(`^ {2}\\S ${id}\\s+wait\\s+(running|completed|failed|retrying)\\s+attempt \\d`);
}

describe("the live view on a terminal (tmux)", () => {
  it("redraws each task's row in place, then leaves the last frame and the summary on the screen", async () => {
    await requireTmux();
    const file = await diamondPlan();
    const pane = await TmuxPane.start(root, ["--plan", file, "--workspace", root, "--no-persist", "--run-id", "live-1"]);
    let screens: string[][];
    try {
      screens = await pane.screensUntilExit();
      const final = await pane.screen({ escapes: true });
      expect(final.join("\n"), "colours are on when NO_COLOR is unset").toMatch(SGR);
    } finally {
      await pane.kill();
    }

    // (a) In place: every task's row stays on one screen line, from running to completed.
    for (const id of TASKS) {
      const seen = screens.flatMap((screen) =>
        screen.flatMap((line, row) => {
          const status = liveRow(id).exec(line)?.[1];
          return status ? [{ row, status }] : [];
        }),
      );
      expect(
        seen.some((s) => s.status === "running"),
        `${id} was seen running`,
      ).toBe(true);
      expect(seen.at(-1)?.status, `${id} ends completed`).toBe("completed");
      expect(new Set(seen.map((s) => s.row)), `${id}'s row never moved`).toEqual(new Set([seen[0]?.row]));
    }
    // ...and the screen does not pile up a line per event: one header, at most one row per task, no plain lines.
    expect(screens.length, "the view was redrawn several times").toBeGreaterThanOrEqual(4);
    for (const screen of screens) {
      expect(screen.filter((l) => l.startsWith("run live-1 · ")).length).toBeLessThanOrEqual(1);
      for (const id of TASKS) expect(screen.filter((l) => liveRow(id).test(l)).length).toBeLessThanOrEqual(1);
      expect(screen.join("\n")).not.toMatch(/^ {2}started {3}/m);
    }
    const running = screens.find((s) => s.some((l) => liveRow("merge").exec(l)?.[1] === "running")) ?? [];
    expect(running[0]).toMatch(/^run live-1 · running \d+\.\d s · 2\/4 done: 2 completed, 0 failed, 0 skipped, 1 running$/);

    // (b) The final screen: the last frame (with results), then the summary with every figure.
    const final = screens.at(-1) ?? [];
    expect(final[0]).toMatch(/^run live-1 · completed \d+\.\d s · 4\/4 done: 4 completed, 0 failed, 0 skipped, 0 running$/);
    for (const [i, id] of TASKS.entries()) {
      expect(final[i + 1]).toMatch(new RegExp(`^ {2}\\S ${id} +wait +completed +attempt 1 +\\d+ ms {2}\\{"waited_ms":\\d+\\}$`));
    }
    expect(final.slice(5, 11)).toEqual([
      "Workflow live-1: completed",
      "Plan: given",
      "Tasks: 4 completed, 0 failed, 0 skipped of 4; retries 0",
      expect.stringMatching(/^Time: \d+ ms wall, critical path \d+ ms, parallel speedup \d+(\.\d+)?x$/),
      "LLM: 0 calls, 0 tokens",
      "Plan cache: no hit",
    ]);
    expect(final).toContain("[exit 0]");
  });

  it.each([
    ["--plain", ["--plain"], {}],
    ["NO_COLOR", [], { NO_COLOR: "1" }],
  ])("%s gives plain lines even on a terminal", async (_name, flags, env) => {
    await requireTmux();
    const file = await diamondPlan();
    const pane = await TmuxPane.start(root, ["--plan", file, "--workspace", root, "--no-persist", "--run-id", "plain-1", ...flags], env);
    let final: string[];
    try {
      await pane.screensUntilExit();
      final = await pane.screen({ escapes: true });
    } finally {
      await pane.kill();
    }
    const text = final.join("\n");
    expect(text).not.toMatch(ESCAPE);
    expect(final.slice(0, 2)).toEqual(["run plain-1 started", "plan ready: 4 tasks (planner: provided)"]);
    for (const id of TASKS) {
      expect(final.filter((l) => l === `  started   ${id} (wait) attempt 1`)).toHaveLength(1);
      expect(final.filter((l) => new RegExp(`^ {2}completed ${id} \\(wait\\) in \\d+ ms$`).test(l))).toHaveLength(1);
    }
    expect(text).not.toMatch(/^run plain-1 · /m);
    expect(final).toContain("Workflow plain-1: completed");
  });
});

describe("progress without a terminal (runCli)", () => {
  async function runPlan(flags: string[], env: Record<string, string>) {
    return runCli(["--plan", await diamondPlan(), "--workspace", root, "--no-persist", "--run-id", "pipe-1", ...flags], { env });
  }

  it.each([
    ["no terminal", [], { NO_COLOR: "" }],
    ["NO_COLOR", [], { NO_COLOR: "1" }],
    ["--plain", ["--plain"], { NO_COLOR: "" }],
  ])("%s: one plain line per event on stderr, no escape codes", async (_name, flags, env) => {
    const result = await runPlan(flags, env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(ESCAPE);
    expect(result.stdout).not.toMatch(ESCAPE);
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines, result.stderr).toHaveLength(11); // run started, plan ready, 4 x started, 4 x completed, run completed
    expect(lines[0]).toBe("run pipe-1 started");
    expect(lines[1]).toBe("plan ready: 4 tasks (planner: provided)");
    expect(lines.at(-1)).toBe("run pipe-1 completed");
    for (const line of lines.slice(2, -1))
      expect(line).toMatch(/^ {2}(started {3}\w+ \(wait\) attempt 1|completed \w+ \(wait\) in \d+ ms)$/);
    expect(result.stdout).toMatch(/^Workflow pipe-1: completed\n/);
  });

  it("--quiet prints only the summary on stdout and nothing on stderr", async () => {
    const result = await runPlan(["--quiet"], { NO_COLOR: "" });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe("");
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines.slice(0, 7)).toEqual([
      "Workflow pipe-1: completed",
      "Plan: given",
      "Tasks: 4 completed, 0 failed, 0 skipped of 4; retries 0",
      expect.stringMatching(/^Time: \d+ ms wall, critical path \d+ ms, parallel speedup \d+(\.\d+)?x$/),
      "LLM: 0 calls, 0 tokens",
      "Plan cache: no hit",
      "",
    ]);
    expect(lines.slice(7)).toEqual(
      TASKS.map((id) => expect.stringMatching(new RegExp(`^ {2}completed ${id} +wait +\\{"waited_ms":\\d+\\}$`))),
    );
  });
});

describe("choosing the progress display", () => {
  const base = { quiet: false, json: false, plain: false, isTTY: true, env: {} };

  it.each([
    ["a terminal", {}, "live"],
    ["no terminal", { isTTY: false }, "plain"],
    ["--plain", { plain: true }, "plain"],
    ["NO_COLOR=1", { env: { NO_COLOR: "1" } }, "plain"],
    ["NO_COLOR empty (means unset)", { env: { NO_COLOR: "" } }, "live"],
    ["TERM=dumb", { env: { TERM: "dumb" } }, "plain"],
    ["--log-level info (log lines would tear the view)", { logLevel: "info" as const }, "plain"],
    ["--log-level warn", { logLevel: "warn" as const }, "live"],
    ["--quiet", { quiet: true }, "quiet"],
    ["--json", { json: true }, "quiet"],
    ["--quiet --plain, no terminal", { quiet: true, plain: true, isTTY: false }, "quiet"],
  ])("%s: %s", (_name, choice, mode) => {
    expect(progressMode({ ...base, ...choice })).toBe(mode);
  });
});

describe("LiveView frames and throttling (in process)", () => {
  const ev = (type: WorkflowEvent["type"], extra: Partial<WorkflowEvent> = {}): WorkflowEvent => ({
    type,
    run_id: "r-1",
    at: "",
    ...extra,
  });

  function fakeTerminal() {
    const writes: string[] = [];
    return { writes, stream: { isTTY: true, columns: 100, rows: 30, write: (chunk: string) => writes.push(chunk) > 0 } };
  }

  afterEach(() => {
    vi.useRealTimers();
  });

  it("shows retries, errors and skips on the task's row, without colour when told so", () => {
    const { stream } = fakeTerminal();
    let now = 0;
    const view = new LiveView({ stream, color: false, now: () => now });
    view.update(ev("run_started"));
    view.update(ev("plan_ready", { detail: "3 tasks (planner: rules)" }));
    view.update(ev("task_started", { task_id: "get", action_type: "api_call", attempt: 1 }));
    view.update(ev("task_started", { task_id: "slow", action_type: "wait", attempt: 1 }));
    now = 1500;
    view.update(
      ev("task_failed", {
        task_id: "get",
        attempt: 1,
        duration_ms: 40,
        error: { code: "HTTP_STATUS", message: "GET /x returned 503\nServer busy", retryable: true },
      }),
    );
    view.update(ev("task_retry", { task_id: "get", attempt: 1, delay_ms: 200, detail: "retryable" }));
    view.update(ev("task_skipped", { task_id: "save", action_type: "file_operation", detail: 'dependency "get" failed' }));
    const frame = view.frame();
    view.finish();
    expect(frame).not.toMatch(ESCAPE);
    expect(frame.split("\n")).toEqual([
      "run r-1 · running 1.5 s · 1/3 done: 0 completed, 0 failed, 1 skipped, 2 running",
      "  ↻ get   api_call        retrying   attempt 1     40 ms  retry in 200 ms: retryable",
      "  ▶ slow  wait            running    attempt 1     1.5 s",
      '  ↷ save  file_operation  skipped    attempt -            dependency "get" failed',
    ]);
  });

  it("keeps to the terminal's height and width: unfinished rows first, the rest counted", () => {
    const { stream } = fakeTerminal();
    Object.assign(stream, { rows: 6, columns: 40 });
    const view = new LiveView({ stream, color: false, now: () => 0 });
    for (const id of ["a", "b", "c", "d", "e"]) view.update(ev("task_started", { task_id: id, action_type: "wait", attempt: 1 }));
    for (const id of ["a", "c", "e"]) view.update(ev("task_completed", { task_id: id, duration_ms: 5 }));
    const lines = view.frame().split("\n");
    view.finish();
    expect(lines).toEqual([
      "run r-1 · starting 0.0 s · 3/5 done: 3…",
      "  ▶ b     wait  running    attempt 1  …",
      "  ▶ d     wait  running    attempt 1  …",
      "  … 3 more tasks not shown",
    ]);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(39);
  });

  it("prints a notice on a line of its own above the task list, then redraws the list under it", () => {
    const { stream, writes } = fakeTerminal();
    const view = new LiveView({ stream, color: false, now: () => 0 });
    view.update(ev("run_started"));
    view.update(ev("task_started", { task_id: "q", action_type: "db_query", attempt: 1 }));
    const before = writes.length;
    view.note("Starting the embedded database (PGlite) in /ws/.workflow-state/pglite\u001b[2J");
    const after = writes.slice(before).join("");
    view.finish();
    expect(after).toContain("Starting the embedded database (PGlite) in /ws/.workflow-state/pglite");
    expect(after, "the notice's text is escaped like any other").not.toContain("\u001b[2J");
    expect(after.split("\n")[0]).not.toContain("run r-1");
    expect(after.indexOf("  ▶ q")).toBeGreaterThan(after.indexOf("Starting the embedded database"));
  });

  it("redraws at most about ten times a second however many events arrive, and draws the end at once", () => {
    vi.useFakeTimers();
    const { stream, writes } = fakeTerminal();
    const view = new LiveView({ stream, color: true, now: () => Date.now() });
    view.update(ev("run_started"));
    for (let i = 0; i < 200; i++) {
      view.update(ev("task_started", { task_id: `t${i % 20}`, action_type: "wait", attempt: 1 }));
      view.update(ev("task_completed", { task_id: `t${i % 20}`, duration_ms: i }));
      vi.advanceTimersByTime(5); // 200 x 5 ms: a second of events
    }
    expect(writes.length).toBeGreaterThanOrEqual(5);
    expect(writes.length).toBeLessThanOrEqual(12);
    const before = writes.length;
    view.update(ev("run_completed", { status: "completed" }));
    expect(writes.length).toBe(before + 1);
    expect(writes.at(-1)).toContain("completed");
    expect(writes.at(-1)).toMatch(SGR);
    view.finish();
    vi.advanceTimersByTime(1000);
    expect(writes.length).toBe(before + 1);
  });
});
