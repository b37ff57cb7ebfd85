import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { SerializedError } from "../../../src/model/errors.js";
import { backoffDelay, boundedRetryAfter } from "../../../src/failure-policy/backoff.js";
import { MAX_RETRY_DELAY_MS } from "../../../src/model/plan-schema.js";
import { decideFailure, mergePatch, needsAdvice } from "../../../src/failure-policy/decide.js";
import type { TaskState } from "../../../src/model/task-state.js";

const err = (retryable: boolean, extra: Partial<SerializedError> = {}): SerializedError => ({
  code: retryable ? "HTTP_STATUS" : "FILE_NOT_FOUND",
  message: "boom",
  retryable,
  ...extra,
});
const failed = (attempts: number, extra: Partial<TaskState> = {}): TaskState => ({
  id: "t",
  action_type: "api_call",
  action_config: { url: "http://x/a" },
  dependencies: [],
  status: "failed",
  attempts,
  ...extra,
});
const half = () => 0.5;

describe("decideFailure", () => {
  it("retries retryable errors up to 3 attempts by default, then fails", () => {
    expect(decideFailure(failed(1), err(true), undefined, half)).toMatchObject({ kind: "retry", delayMs: 750 });
    expect(decideFailure(failed(2), err(true), undefined, half)).toMatchObject({ kind: "retry", delayMs: 1500 });
    expect(decideFailure(failed(3), err(true), undefined, half).kind).toBe("fail");
  });

  it("fails a non-retryable error at once unless the task says skip", () => {
    expect(decideFailure(failed(1), err(false)).kind).toBe("fail");
    expect(decideFailure(failed(1, { on_failure: "skip" }), err(false)).kind).toBe("skip");
    expect(decideFailure(failed(3, { on_failure: "skip" }), err(true)).kind).toBe("skip");
  });

  it("on_failure retry retries even non-retryable errors while attempts remain", () => {
    const t = (n: number) => failed(n, { on_failure: "retry", retry: { max_attempts: 2, backoff_ms: 10, max_backoff_ms: 100 } });
    expect(decideFailure(t(1), err(false), undefined, half).kind).toBe("retry");
    expect(decideFailure(t(2), err(false), undefined, half).kind).toBe("fail");
  });

  it("honours Retry-After over a shorter backoff", () => {
    expect(decideFailure(failed(1), err(true, { retry_after_ms: 5000 }), undefined, half)).toMatchObject({ kind: "retry", delayMs: 5000 });
  });

  it("applies an on_failure patch once, then fails", () => {
    const patch = { url: "http://x/b" };
    expect(decideFailure(failed(1, { on_failure: { modify: patch } }), err(false))).toMatchObject({ kind: "modify", patch });
    expect(decideFailure(failed(2, { on_failure: { modify: patch }, modified: true }), err(false)).kind).toBe("fail");
  });

  it("bounds the advisor by the same limits", () => {
    expect(decideFailure(failed(1), err(false), { decision: "modify", patch: { url: "u" }, reason: "r" }).kind).toBe("modify");
    expect(decideFailure(failed(1, { modified: true }), err(false), { decision: "modify", patch: { url: "u" }, reason: "r" }).kind).toBe(
      "fail",
    );
    expect(decideFailure(failed(3), err(false), { decision: "retry", reason: "r" }).kind).toBe("fail");
    expect(decideFailure(failed(1), err(false), { decision: "skip", reason: "r" }).kind).toBe("skip");
    expect(needsAdvice(failed(1), err(true))).toBe(false);
    expect(needsAdvice(failed(1), err(false))).toBe(true);
    expect(needsAdvice(failed(1, { on_failure: "fail" }), err(false))).toBe(false);
  });

  it("never retries a cancelled task", () => {
    expect(decideFailure(failed(1), { code: "CANCELLED", message: "x", retryable: false }).kind).toBe("fail");
  });

  it("property: any sequence of failures ends (no decision loops forever)", () => {
    const adviceArb = fc.option(
      fc.record({
        decision: fc.constantFrom("retry", "skip", "modify", "fail" as const),
        patch: fc.constant({ a: 1 }),
        reason: fc.constant("r"),
      }),
      { nil: undefined },
    );
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({ min: 1, max: 6 }),
        fc.array(adviceArb, { minLength: 20, maxLength: 20 }),
        (retryable, max, advices) => {
          let task = failed(1, { retry: { max_attempts: max, backoff_ms: 1, max_backoff_ms: 10 } });
          let steps = 0;
          for (const advice of advices) {
            const d = decideFailure(task, err(retryable), advice, half);
            steps++;
            if (d.kind === "fail" || d.kind === "skip") break;
            task = { ...task, attempts: task.attempts + 1, modified: task.modified || d.kind === "modify" };
          }
          expect(steps).toBeLessThanOrEqual(max + 1);
        },
      ),
    );
  });
});

describe("backoff", () => {
  it("property: exponential with jitter in [1, 2), capped, at least Retry-After", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 2000 }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (attempt, base, r) => {
          const policy = { backoff_ms: base, max_backoff_ms: 30_000 };
          const d = backoffDelay(attempt, policy, undefined, () => r);
          const raw = base * 2 ** (attempt - 1);
          expect(d).toBeGreaterThanOrEqual(Math.min(30_000, Math.floor(raw)));
          expect(d).toBeLessThanOrEqual(Math.min(30_000, Math.ceil(raw * 2)));
          expect(backoffDelay(attempt, policy, 40_000, () => r)).toBe(40_000);
        },
      ),
    );
  });
});

describe("retry delays stay schedulable", () => {
  it("a Retry-After of days (or not a number) is capped at MAX_RETRY_DELAY_MS, never a 1 ms spin", () => {
    const policy = { backoff_ms: 500, max_backoff_ms: 30_000 };
    expect(backoffDelay(1, policy, 3_000_000_000, () => 0)).toBe(MAX_RETRY_DELAY_MS);
    expect(backoffDelay(1, policy, Number.POSITIVE_INFINITY, () => 0)).toBe(MAX_RETRY_DELAY_MS);
    expect(backoffDelay(1, policy, Number.NaN, () => 0)).toBe(500);
    expect(boundedRetryAfter(-1)).toBe(0);
  });

  it("the retry decision says when the server's Retry-After was capped", () => {
    const decision = decideFailure(
      failed(1),
      { code: "HTTP_STATUS", message: "429", retryable: true, retry_after_ms: 3_000_000_000 },
      undefined,
      () => 0,
    );
    expect(decision).toMatchObject({
      kind: "retry",
      delayMs: MAX_RETRY_DELAY_MS,
      reason: expect.stringContaining("Retry-After of 3000000 s is capped at 3600 s"),
    });
  });
});

describe("mergePatch", () => {
  it("deep-merges objects, replaces the rest, ignores prototype keys", () => {
    const merged = mergePatch(
      { url: "a", headers: { x: "1" }, params: { q: 1 } },
      JSON.parse('{"url":"b","headers":{"y":"2"},"__proto__":{"p":1}}'),
    );
    expect(merged).toEqual({ url: "b", headers: { x: "1", y: "2" }, params: { q: 1 } });
    expect(({} as Record<string, unknown>).p).toBeUndefined();
  });
});
