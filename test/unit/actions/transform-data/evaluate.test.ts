import { describe, expect, it } from "vitest";
import { evaluateExpression } from "../../../../src/actions/transform-data/evaluate.js";
import { transformData } from "../../../../src/actions/transform-data/run.js";
import type { TransformDataConfig } from "../../../../src/model/action-config/transform-data.js";
import { defaultRunSafety, Limits } from "../../../../src/model/safety-policy.js";
import { makeContext } from "../../../fixtures/context.js";
import { failure } from "../../../fixtures/errors.js";

const MiB = 1024 ** 2;
const RUNAWAY = "($f := function($x){ $f($x+1) }; $f(0))";

function bounds(overrides: { timeoutMs?: number; maxBytes?: number; signal?: AbortSignal } = {}) {
  return { timeoutMs: 60_000, maxBytes: 256 * MiB, signal: new AbortController().signal, ...overrides };
}

/** Counts the event loop's turns while `work` runs: a blocked loop counts none. */
async function turnsDuring<T>(work: Promise<T>): Promise<{ turns: number; outcome: T | unknown }> {
  let turns = 0;
  const ticker = setInterval(() => turns++, 20);
  const outcome = await work.catch((err: unknown) => err);
  clearInterval(ticker);
  return { turns, outcome };
}

describe("JSONata evaluation is bounded (TRANSFORM_LIMIT), and the event loop keeps turning", () => {
  it("endless recursion stops at the time limit, with timers firing meanwhile", async () => {
    let turns = 0;
    const ticker = setInterval(() => turns++, 20);
    const err = await failure(evaluateExpression(RUNAWAY, null, bounds({ timeoutMs: 600 })));
    clearInterval(ticker);
    expect(err).toMatchObject({ code: "TRANSFORM_LIMIT", retryable: false, details: { limit: "limits.transformTimeoutSeconds" } });
    expect(err.message).toContain("longer than its limit of 0.6 s");
    expect(err.message).toContain("limits.transformTimeoutSeconds");
    // Before: the recursion never yielded, so no timer fired until the process was killed.
    expect(turns).toBeGreaterThanOrEqual(5);
  });

  it("stops when its signal aborts (the task timeout, the run deadline, a cancel)", async () => {
    const controller = new AbortController();
    const running = evaluateExpression(RUNAWAY, null, bounds({ signal: controller.signal }));
    setTimeout(() => controller.abort("task timeout"), 100);
    await expect(running).rejects.toMatchObject({ code: "CANCELLED" });
  });

  it("$count([1..10000000].[1..10000000]) stops at the memory limit instead of exhausting the heap", async () => {
    const err = await failure(evaluateExpression("$count([1..10000000].[1..10000000])", null, bounds({ maxBytes: 64 * MiB })));
    expect(err).toMatchObject({ code: "TRANSFORM_LIMIT", details: { limit: "limits.maxTransformBytes", limit_bytes: 64 * MiB } });
    expect(err.message).toContain("limits.maxTransformBytes");
  });

  it.each([
    ["$pad of a huge width", '$pad("", 500000000)'],
    ["$join with a long separator", '$join($map([1..100000], function($i){ "x" }), $pad("", 1000))'],
    ["$replace that multiplies the text", '$replace($pad("", 100000, "a"), "a", $pad("", 1000, "b"))'],
    ["$replace with group references", '$replace($pad("", 1000000, "a"), /(a+)/, "$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1")'],
    ["doubling a string", '($f := function($s, $n){ $n = 0 ? $s : $f($s & $s, $n - 1) }; $length($f("x", 40)))'],
  ])("%s is charged before it allocates", async (_name, expression) => {
    const started = performance.now();
    await expect(evaluateExpression(expression, null, bounds({ maxBytes: 16 * MiB }))).rejects.toMatchObject({ code: "TRANSFORM_LIMIT" });
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it("deep recursion stops at the depth bound", async () => {
    const err = await failure(evaluateExpression("($f := function($x){ 1 + $f($x+1) }; $f(0))", null, bounds()));
    expect(err).toMatchObject({ code: "TRANSFORM_LIMIT", details: { limit: "max_depth" } });
  });

  it("$eval and a shadowed budget variable do not escape the bounds", async () => {
    const viaEval = `$eval(${JSON.stringify(RUNAWAY)})`;
    await expect(evaluateExpression(viaEval, null, bounds({ timeoutMs: 300 }))).rejects.toMatchObject({ code: "TRANSFORM_LIMIT" });
    const shadowed = `($__wfe_budget := {}; ${RUNAWAY})`;
    await expect(evaluateExpression(shadowed, null, bounds({ timeoutMs: 300 }))).rejects.toMatchObject({ code: "TRANSFORM_LIMIT" });
  });

  it("ordinary transforms are untouched: same results, $now constant within one evaluation, errors stay TRANSFORM_ERROR", async () => {
    const input = {
      items: [
        { n: 1, s: "a" },
        { n: 2, s: "b" },
        { n: 3, s: "c" },
      ],
    };
    expect(await evaluateExpression("$sum(items[n > 1].n)", input, bounds())).toBe(5);
    expect(await evaluateExpression('$join(items.s, ",")', input, bounds())).toBe("a,b,c");
    expect(await evaluateExpression('$pad("ab", 4, "-")', null, bounds())).toBe("ab--");
    expect(await evaluateExpression('$replace("a-b-c", "-", "+")', null, bounds())).toBe("a+b+c");
    expect(await evaluateExpression('$replace("abc", /(b)/, "[$1]")', null, bounds())).toBe("a[b]c");
    expect(await evaluateExpression("$now() = $now()", null, bounds())).toBe(true);
    await expect(evaluateExpression("items[", input, bounds())).rejects.toMatchObject({ code: "TRANSFORM_ERROR" });
    await expect(evaluateExpression('$error("bad row")', input, bounds())).rejects.toMatchObject({
      code: "TRANSFORM_ERROR",
      message: expect.stringContaining("bad row"),
    });
  });

  it("one expression evaluated by many tasks at once gives each its own answer (the compiled form is cached)", async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => evaluateExpression("$ * 2", i, bounds())));
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
  });
});

describe("transform_data takes its bounds from the run's limits", () => {
  it("a runaway expression fails the task with TRANSFORM_LIMIT at limits.transformTimeoutSeconds", async () => {
    const safety = defaultRunSafety({ limits: Limits.parse({ transformTimeoutSeconds: 1 }) });
    const config = transformData.schema.parse({ input: null, expression: RUNAWAY }) as TransformDataConfig;
    const { turns, outcome } = await turnsDuring(transformData.run(config, makeContext({ safety })));
    expect(outcome).toMatchObject({ code: "TRANSFORM_LIMIT", message: expect.stringContaining("1 s") });
    // The event loop kept turning (a busy machine gives fewer turns, never none).
    expect(turns).toBeGreaterThanOrEqual(2);
  });
});
