import { describe, expect, it } from "vitest";
import { runAction } from "../../../src/actions/registry.js";
import { wait } from "../../../src/actions/wait/run.js";
import type { WaitResult } from "../../../src/model/action-config/wait.js";
import { WorkflowError } from "../../../src/model/errors.js";
import { makeContext } from "../../fixtures/context.js";

describe("wait", () => {
  it("waits for ms or seconds and reports the measured time", async () => {
    const byMs = (await runAction("wait", { ms: 60 }, makeContext())) as WaitResult;
    expect(byMs.waited_ms).toBeGreaterThanOrEqual(55);
    expect(byMs.waited_ms).toBeLessThan(1000);
    const bySeconds = (await runAction("wait", { seconds: 0.05 }, makeContext())) as WaitResult;
    expect(bySeconds.waited_ms).toBeGreaterThanOrEqual(45);
  });

  it("rejects quickly with CANCELLED when the signal aborts", async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 50);
    const err = await wait.run({ seconds: 30 }, makeContext({ signal: controller.signal })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowError);
    expect(err).toMatchObject({ code: "CANCELLED", retryable: false });
    expect(Date.now() - started).toBeLessThan(500);
  });

  it("rejects an already aborted signal without waiting", async () => {
    const controller = new AbortController();
    controller.abort();
    const err = await wait.run({ ms: 10_000 }, makeContext({ signal: controller.signal })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "CANCELLED" });
  });

  it("needs exactly one of seconds or ms, and a number at run time", async () => {
    const both = await runAction("wait", { seconds: 1, ms: 1 }, makeContext()).catch((e: unknown) => e);
    expect(both).toMatchObject({ code: "ACTION_CONFIG_INVALID", retryable: false });
    const unresolved = await wait.run({ seconds: "{{x}}" }, makeContext()).catch((e: unknown) => e);
    expect(unresolved).toMatchObject({ code: "ACTION_CONFIG_INVALID" });
  });

  it("a reference that resolves past the longest wait (one day) is refused, not turned into a 1 ms timer", async () => {
    const started = Date.now();
    const huge = await wait.run({ ms: "3000000000" }, makeContext()).catch((e: unknown) => e);
    expect(huge).toMatchObject({
      code: "ACTION_CONFIG_INVALID",
      message: expect.stringContaining("ms must be a number from 0 to 86400000"),
    });
    const days = await wait.run({ seconds: "100000" }, makeContext()).catch((e: unknown) => e);
    expect(days).toMatchObject({ code: "ACTION_CONFIG_INVALID", message: expect.stringContaining("from 0 to 86400") });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
