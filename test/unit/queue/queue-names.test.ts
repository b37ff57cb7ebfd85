import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultRunSafety } from "../../../src/model/safety-policy.js";
import { narrowSafety } from "../../../src/queue/narrow-safety.js";
import { jobIdOf } from "../../../src/queue/queue-names.js";

describe("jobIdOf", () => {
  it("holds no ':' and is one-to-one (two attempt ids never share a job id)", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(":", "%", "3", "A", "a", "-") }),
        fc.string({ unit: fc.constantFrom(":", "%", "3", "A") }),
        (a, b) => {
          expect(jobIdOf(a)).not.toContain(":");
          if (a !== b) expect(jobIdOf(a)).not.toBe(jobIdOf(b));
          expect(decodeURIComponent(jobIdOf(a))).toBe(a);
        },
      ),
    );
  });
});

describe("narrowSafety", () => {
  const run = defaultRunSafety({
    trustedHosts: ["api.example.com", "127.0.0.1"],
    allowWrites: true,
    limits: { ...defaultRunSafety().limits, maxRows: 500 },
  });

  it("keeps the run's policy when the worker sets nothing", () => {
    expect(narrowSafety(run, {})).toEqual(run);
  });

  it("only narrows: hosts kept only if both trust them, writes only if both allow, the lower of two limits", () => {
    const narrowed = narrowSafety(run, {
      allowHosts: ["127.0.0.1", "evil.example"],
      allowWrites: false,
      approve: "never",
      limits: { maxRows: 10_000, taskTimeoutSeconds: 5 },
    });
    expect(narrowed.trustedHosts).toEqual(["127.0.0.1"]);
    expect(narrowed.allowWrites).toBe(false);
    expect(narrowed.approve).toBe("never");
    expect(narrowed.limits.maxRows).toBe(500);
    expect(narrowed.limits.taskTimeoutSeconds).toBe(5);
  });

  it("cannot widen: a worker allowing writes or trusting more hosts leaves a read-only run read-only", () => {
    const readOnly = defaultRunSafety({ trustedHosts: [] });
    const narrowed = narrowSafety(readOnly, { allowHosts: ["10.0.0.1"], allowWrites: true });
    expect(narrowed.trustedHosts).toEqual([]);
    expect(narrowed.allowWrites).toBe(false);
  });
});
