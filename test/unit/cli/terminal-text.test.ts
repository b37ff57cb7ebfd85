import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LiveView } from "../../../src/cli/live-view.js";
import { formatEvent, formatSummary } from "../../../src/cli/output.js";
import { terminalText } from "../../../src/cli/terminal-text.js";
import type { WorkflowResult } from "../../../src/engine/result.js";
import type { WorkflowEvent } from "../../../src/model/events.js";
import { firstControl, withoutColours } from "../../fixtures/terminal.js";

const EVIL = "\x1b]0;title\x07\x1b[31mred\x1b[0m\x9b2J\x9d8;;http://x\x9c\r\x08\x7f\u202egnp.exe\u2028";

describe("terminalText", () => {
  it("escapes every control character visibly and keeps the rest", () => {
    expect(terminalText(`a${EVIL}b`)).toBe(
      "a\\u001b]0;title\\u0007\\u001b[31mred\\u001b[0m\\u009b2J\\u009d8;;http://x\\u009c\\u000d\\u0008\\u007f\\u202egnp.exe\\u2028b",
    );
    expect(terminalText("line 1\nline 2 ✔ é 日本 🎉")).toBe("line 1\nline 2 ✔ é 日本 🎉");
    expect(terminalText("tab\there")).toBe("tab\\u0009here");
  });

  it("leaves nothing a terminal acts on, and changes nothing twice", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        const safe = terminalText(text);
        expect(firstControl(safe)).toBeUndefined();
        expect(terminalText(safe)).toBe(safe);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps JSON text valid, with the same values", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: "binary" }), (value, text) => {
        const doc = { value, text };
        const printed = terminalText(JSON.stringify(doc));
        expect(firstControl(printed)).toBeUndefined();
        expect(JSON.parse(printed)).toEqual(JSON.parse(JSON.stringify(doc)));
      }),
      { numRuns: 200 },
    );
  });
});

describe("what the CLI prints from outside", () => {
  const event = (extra: Partial<WorkflowEvent>): WorkflowEvent => ({ type: "task_failed", run_id: `r${EVIL}`, at: "", ...extra });

  it("formats progress lines with the error's control characters escaped", () => {
    const line = formatEvent(
      event({
        task_id: "get",
        action_type: "api_call",
        error: { code: "HTTP_STATUS", message: `answered 400: ${EVIL}`, retryable: false },
      }),
    );
    expect(firstControl(line ?? "")).toBeUndefined();
    expect(line).toContain("\\u001b]0;title\\u0007");
    for (const type of ["run_started", "plan_ready", "task_skipped", "task_modified", "run_completed", "approval_requested"] as const) {
      expect(firstControl(formatEvent(event({ type, detail: EVIL })) ?? "")).toBeUndefined();
    }
  });

  it("formats the summary with the goal, results, errors and skip reasons escaped", () => {
    const result = {
      workflow_id: `wf${EVIL}`,
      status: "failed",
      goal: `goal ${EVIL}`,
      planner: "provided",
      error: { code: "HTTP_STATUS", message: EVIL, retryable: false },
      tasks: [
        { id: "a", action_type: "api_call", action_config: {}, dependencies: [], status: "completed", attempts: 1, result: EVIL },
        {
          id: "b",
          action_type: "api_call",
          action_config: {},
          dependencies: [],
          status: "failed",
          attempts: 1,
          error: { code: "HTTP_STATUS", message: EVIL, retryable: false },
        },
        { id: "c", action_type: "wait", action_config: {}, dependencies: [], status: "skipped", attempts: 0, skip_reason: EVIL },
      ],
      metrics: {
        tasks_total: 3,
        tasks_completed: 1,
        tasks_failed: 1,
        tasks_skipped: 1,
        retries: 0,
        wall_ms: 1,
        critical_path_ms: 1,
        parallel_speedup: 1,
        llm_calls: 0,
        llm_tokens: 0,
        plan_cache_hit: false,
      },
    } as unknown as WorkflowResult;
    const summary = formatSummary(result);
    expect(firstControl(summary)).toBeUndefined();
    expect(summary).toContain("Goal: goal \\u001b]0;title");
    expect(summary).toContain("Error: HTTP_STATUS: \\u001b]0;title");
  });

  it("draws the live view's rows and header with outside text escaped, and only its own colours", () => {
    const writes: string[] = [];
    const stream = { isTTY: true, columns: 400, rows: 30, write: (chunk: string) => writes.push(chunk) > 0 };
    for (const color of [false, true]) {
      const view = new LiveView({ stream, color, now: () => 0 });
      view.update(event({ type: "task_started", task_id: `t${EVIL}`, action_type: `x${EVIL}`, attempt: 1 }));
      view.update(event({ task_id: `t${EVIL}`, error: { code: "HTTP_STATUS", message: EVIL, retryable: false } }));
      view.update(event({ type: "task_skipped", task_id: "s", detail: EVIL }));
      const frame = view.frame();
      view.finish();
      // Our own colours are SGR sequences (ESC [ ... m); nothing else may reach the terminal.
      expect(firstControl(withoutColours(frame))).toBeUndefined();
      expect(frame).toContain("\\u001b]0;title\\u0007");
    }
  });
});
