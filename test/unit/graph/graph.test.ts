import { describe, expect, it } from "vitest";
import { ErrorCode, WorkflowError } from "../../../src/model/errors.js";
import { gate, harness, until } from "../../fixtures/graph-harness.js";
import { plan, waitTask } from "../../fixtures/plans.js";

const idx = (events: { type: string; task_id?: string }[], type: string, id: string) =>
  events.findIndex((e) => e.type === type && e.task_id === id);

describe.each([
  ["durable: dependents start after their checkpoint", false],
  ["in memory: dependents start at once", true],
])("dataflow scheduling (%s)", (_mode, startEagerly) => {
  it("starts a ready task while a slow sibling is still running (no superstep barrier)", async () => {
    const slow = gate();
    const h = harness(
      async (id) => {
        if (id === "slow") await slow.promise;
        return { id };
      },
      { startEagerly },
    );
    const chain = [1, 2, 3, 4, 5].map((i) => waitTask(`c${i}`, 0, i === 1 ? [] : [`c${i - 1}`]));
    const running = h.run(plan(waitTask("slow"), ...chain));
    // The slow task is held until the whole chain has completed: with a barrier this never happens.
    await until(() => h.events.some((e) => e.type === "task_completed" && e.task_id === "c5"));
    slow.open();
    const result = await running;
    expect(result.status).toBe("completed");
    expect(idx(h.events, "task_completed", "c5")).toBeLessThan(idx(h.events, "task_completed", "slow"));
  });

  it("records each outcome in the checkpoint as soon as the task ends", async () => {
    const slow = gate();
    const h = harness(
      async (id) => {
        if (id === "slow") await slow.promise;
        return { id };
      },
      { startEagerly },
    );
    const running = h.run(plan(waitTask("slow"), waitTask("fast")));
    await until(async () => (await h.state()).tasks?.fast?.status === "completed");
    const mid = await h.state();
    expect(mid.tasks.slow?.status).toBe("running");
    expect(mid.tasks.fast?.result).toEqual({ id: "fast" });
    slow.open();
    expect((await running).status).toBe("completed");
  });

  it("never runs more than `concurrency` tasks at once", async () => {
    let active = 0;
    let peak = 0;
    const h = harness(
      async () => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setImmediate(r));
        active--;
        return {};
      },
      { startEagerly },
    );
    const tasks = Array.from({ length: 20 }, (_, i) => waitTask(`t${i}`));
    const result = await h.run(plan(...tasks), "run-c", 3);
    expect(result.metrics.tasks_completed).toBe(20);
    expect(peak).toBe(3);
  });

  it("resolves references against finished results", async () => {
    const seen: unknown[] = [];
    const h = harness(
      async (id, config) => {
        seen.push([id, config]);
        return id === "a" ? { data: { list: [1, 2] } } : { ok: true };
      },
      { startEagerly },
    );
    await h.run(
      plan(waitTask("a"), { id: "b", action_type: "transform_data", action_config: { input: "{{a.data.list}}", expression: "$count($)" } }),
    );
    expect(seen).toContainEqual(["b", { input: [1, 2], expression: "$count($)" }]);
  });
});

describe("failure node", () => {
  const failing = (code: string, retryable: boolean, times = Number.POSITIVE_INFINITY) => {
    const calls = new Map<string, number>();
    return {
      calls,
      action: async (id: string, config: Record<string, unknown>) => {
        calls.set(id, (calls.get(id) ?? 0) + 1);
        if (id.startsWith("bad") && (calls.get(id) ?? 0) <= times && config.fixed !== true) {
          throw new WorkflowError(code as never, `${id} broke`, { retryable });
        }
        return { id };
      },
    };
  };

  it("retries a retryable error with backoff and then completes", async () => {
    const f = failing(ErrorCode.HttpStatus, true, 2);
    const h = harness(f.action);
    const result = await h.run(plan(waitTask("bad", 0, [], { retry: { max_attempts: 3, backoff_ms: 1, max_backoff_ms: 5 } })));
    expect(result.status).toBe("completed");
    expect(f.calls.get("bad")).toBe(3);
    expect(result.tasks[0]?.attempts).toBe(3);
    expect(result.metrics.retries).toBe(2);
  });

  it("fails the workflow and ends at once when told to fail (no loop to the recursion limit)", async () => {
    const f = failing(ErrorCode.FileNotFound, false);
    const h = harness(f.action);
    const result = await h.run(plan(waitTask("bad", 0, [], { on_failure: "fail" }), waitTask("after", 0, ["bad"])));
    expect(result.status).toBe("failed");
    expect(f.calls.get("bad")).toBe(1);
    expect(result.tasks.find((t) => t.id === "after")?.status).toBe("skipped");
    expect(h.steps()).toBeLessThan(12);
  });

  it("modify patches the config and retries, instead of counting as a failure", async () => {
    const f = failing(ErrorCode.HttpStatus, false);
    const h = harness(f.action);
    const result = await h.run(plan(waitTask("bad", 0, [], { on_failure: { modify: { fixed: true } } }), waitTask("next", 0, ["bad"])));
    expect(result.status).toBe("completed");
    const bad = result.tasks.find((t) => t.id === "bad");
    expect(bad?.action_config).toEqual({ ms: 0, fixed: true });
    expect(bad?.attempts).toBe(2);
    expect(result.tasks.find((t) => t.id === "next")?.status).toBe("completed");
  });

  it("skip skips every dependent too, naming the skipped task, and reports completed_with_errors", async () => {
    const f = failing(ErrorCode.FileNotFound, false);
    const h = harness(f.action);
    const result = await h.run(
      plan(
        waitTask("bad", 0, [], { on_failure: "skip" }),
        waitTask("child", 0, ["bad"]),
        waitTask("grandchild", 0, ["child"]),
        waitTask("other"),
      ),
    );
    expect(result.status).toBe("completed_with_errors");
    const by = Object.fromEntries(result.tasks.map((t) => [t.id, t]));
    expect(by.bad?.status).toBe("skipped");
    expect(by.child?.skip_reason).toBe('dependency "bad" was skipped');
    expect(by.grandchild?.status).toBe("skipped");
    expect(by.grandchild?.skip_reason).toBe('dependency "bad" was skipped');
    expect(by.other?.status).toBe("completed");
    expect(f.calls.has("child")).toBe(false);
    expect(result.tasks.some((t) => t.status === "pending")).toBe(false);
  });

  it("cancels tasks in flight through their AbortSignal when the workflow fails", async () => {
    let aborted = false;
    const h = harness(async (id, _config, ctx) => {
      if (id === "long") {
        await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
        aborted = ctx.signal.aborted;
        throw new Error("aborted");
      }
      throw new WorkflowError(ErrorCode.FileNotFound, "nope");
    });
    const result = await h.run(plan(waitTask("long"), waitTask("bad")));
    expect(result.status).toBe("failed");
    expect(aborted).toBe(true);
    expect(result.tasks.find((t) => t.id === "long")?.error?.code).toBe("CANCELLED");
  });

  it("uses the advisor's patch when the rules would fail", async () => {
    const f = failing(ErrorCode.HttpStatus, false);
    const h = harness(f.action, { advise: async () => ({ decision: "modify", patch: { fixed: true }, reason: "use the fixed flag" }) });
    const result = await h.run(plan(waitTask("bad")));
    expect(result.status).toBe("completed");
    expect(result.tasks[0]?.action_config).toEqual({ ms: 0, fixed: true });
  });

  it("a template that cannot resolve fails the task with TEMPLATE_UNRESOLVED", async () => {
    const h = harness(async () => ({ data: {} }));
    const result = await h.run(plan(waitTask("a"), { id: "b", action_type: "wait", action_config: { ms: "{{a.data.missing}}" } }));
    expect(result.status).toBe("failed");
    expect(result.tasks.find((t) => t.id === "b")?.error?.code).toBe("TEMPLATE_UNRESOLVED");
  });
});
