import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { transformExpression } from "../../../agents/rules/jsonata/expression.js";
import type { ListOp } from "../../../agents/rules/list-ops.js";
import { evaluateExpression as evaluateBounded } from "../../../src/actions/transform-data/evaluate.js";
import { evaluationBounds } from "../../../src/actions/transform-data/run.js";
import { Limits } from "../../../src/model/safety-policy.js";

/** The engine's own evaluator, with the default limits. */
const evaluateExpression = (expression: string, input: unknown) =>
  evaluateBounded(expression, input, evaluationBounds(Limits.parse({}), new AbortController().signal));

/**
 * The rule planner's compiled transforms, run by the engine's evaluator against a model written
 * here: list operations agree with plain TypeScript on any list, give the same answer on a list
 * wrapped in {items|data|results}, and fail (never yield []) on anything that is not a list.
 */

type Item = { id: number; n?: number | string | null; tag?: string };

const item: fc.Arbitrary<Item> = fc.record(
  {
    id: fc.integer({ min: 0, max: 50 }),
    n: fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom("a", "b", "c"), fc.constant(null)),
    tag: fc.constantFrom("x", "y", "xy"),
  },
  { requiredKeys: ["id"] },
);
const items = fc.array(item, { maxLength: 12 });

const op: fc.Arbitrary<ListOp> = fc.oneof(
  fc.record({
    op: fc.constant("filter" as const),
    field: fc.constantFrom("n", "id"),
    operator: fc.constantFrom("==" as const, "!=" as const, ">" as const, ">=" as const, "<" as const, "<=" as const),
    value: fc.integer({ min: -5, max: 5 }),
  }),
  fc.record({
    op: fc.constant("filter" as const),
    field: fc.constant("tag"),
    operator: fc.constant("contains" as const),
    value: fc.constantFrom("x", "y"),
  }),
  fc.record({
    op: fc.constant("filter" as const),
    field: fc.constant("tag"),
    operator: fc.constant("not_contains" as const),
    value: fc.constantFrom("x", "y"),
  }),
  fc.record({ op: fc.constant("filter" as const), field: fc.constant("n"), operator: fc.constant("exists" as const), value: fc.boolean() }),
  fc.record({ op: fc.constant("sort" as const), by: fc.constantFrom("n", "id"), order: fc.constantFrom("asc" as const, "desc" as const) }),
  fc.record({ op: fc.constant("limit" as const), count: fc.integer({ min: 0, max: 6 }) }),
  fc.record({ op: fc.constant("last" as const), count: fc.integer({ min: 0, max: 6 }) }),
);

const rank = (v: unknown): number => (typeof v === "number" ? 0 : typeof v === "string" ? 1 : 2);

/** The same operations in plain TypeScript. */
function model(list: Item[], ops: readonly ListOp[]): Item[] {
  let out = [...list];
  for (const o of ops) {
    if (o.op === "filter") {
      out = out.filter((x) => {
        const f = (x as Record<string, unknown>)[o.field];
        switch (o.operator) {
          case "==":
            return f === o.value;
          case "!=":
            return f !== o.value;
          case "contains":
            return typeof f === "string" && f.includes(String(o.value));
          case "not_contains":
            return !(typeof f === "string" && f.includes(String(o.value)));
          case "exists":
            return (f !== undefined) === (o.value !== false);
          default: {
            if (typeof f !== "number") return false;
            const v = o.value as number;
            return o.operator === ">" ? f > v : o.operator === ">=" ? f >= v : o.operator === "<" ? f < v : f <= v;
          }
        }
      });
    } else if (o.op === "sort") {
      const sign = o.order === "asc" ? 1 : -1;
      out = out
        .map((x, i) => ({ x, i }))
        .sort((l, r) => {
          const a = (l.x as Record<string, unknown>)[o.by];
          const b = (r.x as Record<string, unknown>)[o.by];
          if (rank(a) !== rank(b)) return rank(a) - rank(b);
          if (rank(a) === 2 || a === b) return l.i - r.i;
          return ((a as number) > (b as number) ? 1 : -1) * sign;
        })
        .map((e) => e.x);
    } else if (o.op === "limit") out = out.slice(0, o.count);
    else if (o.op === "last") out = o.count === 0 ? [] : out.slice(-o.count);
  }
  return out;
}

async function run(ops: readonly ListOp[], input: unknown): Promise<unknown> {
  return JSON.parse(JSON.stringify((await evaluateExpression(transformExpression(ops), input)) ?? null));
}

describe("compiled list operations", () => {
  it("agree with plain TypeScript on any list", async () => {
    await fc.assert(
      fc.asyncProperty(items, fc.array(op, { minLength: 1, maxLength: 3 }), async (list, ops) => {
        expect(await run(ops, list)).toEqual(model(list, ops));
      }),
    );
  });

  it("give the same answer on a list wrapped in {items}, {data} or {results}", async () => {
    await fc.assert(
      fc.asyncProperty(
        items,
        fc.array(op, { minLength: 1, maxLength: 3 }),
        fc.constantFrom("items", "data", "results"),
        async (list, ops, key) => {
          expect(await run(ops, { [key]: list, page: 1 })).toEqual(model(list, ops));
        },
      ),
    );
  });

  it("count and select agree with the model; select fails when no item has the field", async () => {
    await fc.assert(
      fc.asyncProperty(items, async (list) => {
        expect(await run([{ op: "count" }], { items: list })).toBe(list.length);
        expect(await run([{ op: "select", fields: [["id", "ids"]] }], list)).toEqual(list.map((x) => x.id));
      }),
    );
    await expect(run([{ op: "select", fields: [["title", "titles"]] }], [{ id: 1 }])).rejects.toThrow(
      "no item has a field title or titles",
    );
  });

  it("fail on anything that is not a list, naming the operation and what the data is", async () => {
    const notList = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.dictionary(fc.constantFrom("state", "version", "items", "data"), fc.oneof(fc.string({ maxLength: 3 }), fc.integer()), {
        minKeys: 1,
      }),
    );
    await fc.assert(
      fc.asyncProperty(notList, op, async (value, o) => {
        await expect(run([o], value)).rejects.toThrow(/^The transform failed: cannot .*: the data is .*, not a list/);
      }),
    );
  });
});
