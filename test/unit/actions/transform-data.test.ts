import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { compileOperations } from "../../../src/actions/transform-data/compile.js";
import { transformData } from "../../../src/actions/transform-data/run.js";
import type { TransformOperation as OperationSchema, TransformDataConfig } from "../../../src/model/action-config/transform-data.js";
import { makeContext } from "../../fixtures/context.js";
import { failure } from "../../fixtures/errors.js";

type Item = Record<string, unknown>;
/** Operations as a plan writes them (defaults such as `order` may be left out). */
type TransformOperation = z.input<typeof OperationSchema>;

async function transform(input: unknown, operations?: TransformOperation[], expression?: string): Promise<unknown> {
  const config = transformData.schema.parse({ input, operations, expression }) as TransformDataConfig;
  const { data } = await transformData.run(config, makeContext());
  return data;
}

const value = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom("a", "b", "c", "ab"), fc.boolean(), fc.constant(null));
const item = fc.record({ k: value, n: fc.integer({ min: -100, max: 100 }), s: fc.string({ maxLength: 4 }) }, { requiredKeys: ["n"] });
const items = fc.array(item, { maxLength: 12 });

/** JS reference for the sort order: numbers, then strings, then the rest in input order. */
function rank(v: unknown): number {
  return typeof v === "number" ? 0 : typeof v === "string" ? 1 : 2;
}

describe("transform compiler properties", () => {
  it("filter == keeps exactly the items whose field equals the value, in order", async () => {
    await fc.assert(
      fc.asyncProperty(items, value, async (input, v) => {
        const out = (await transform(input, [{ op: "filter", field: "k", operator: "==", value: v }])) as Item[];
        expect(Array.isArray(out)).toBe(true);
        expect(out).toEqual(input.filter((x) => x.k === v));
        for (const x of out) expect(x.k).toEqual(v);
      }),
    );
  });

  it("filter > on numbers is a subset where every item satisfies the predicate (mixed types never throw)", async () => {
    await fc.assert(
      fc.asyncProperty(items, fc.integer({ min: -5, max: 5 }), async (input, v) => {
        const out = (await transform(input, [{ op: "filter", field: "k", operator: ">", value: v }])) as Item[];
        expect(out).toEqual(input.filter((x) => typeof x.k === "number" && x.k > v));
      }),
    );
  });

  it("filter != is the complement of ==", async () => {
    await fc.assert(
      fc.asyncProperty(items, value, async (input, v) => {
        const eq = (await transform(input, [{ op: "filter", field: "k", operator: "==", value: v }])) as Item[];
        const ne = (await transform(input, [{ op: "filter", field: "k", operator: "!=", value: v }])) as Item[];
        expect(eq.length + ne.length).toBe(input.length);
        expect(ne).toEqual(input.filter((x) => x.k !== v));
      }),
    );
  });

  it("sort is ordered and a permutation, stable for equal keys", async () => {
    await fc.assert(
      fc.asyncProperty(items, fc.constantFrom("asc", "desc") as fc.Arbitrary<"asc" | "desc">, async (input, order) => {
        const out = (await transform(input, [{ op: "sort", by: "k", order }])) as Item[];
        const expected = [...input].sort((a, b) => {
          const ra = rank(a.k);
          const rb = rank(b.k);
          if (ra !== rb || ra === 2) return ra - rb;
          const lt = (a.k as number) < (b.k as number);
          const gt = (a.k as number) > (b.k as number);
          return order === "asc" ? (lt ? -1 : gt ? 1 : 0) : gt ? -1 : lt ? 1 : 0;
        });
        expect(out).toEqual(expected);
        expect(out).toHaveLength(input.length);
      }),
    );
  });

  it("limit gives the first min(n, length) items", async () => {
    await fc.assert(
      fc.asyncProperty(items, fc.nat({ max: 15 }), async (input, n) => {
        const out = (await transform(input, [{ op: "limit", count: n }])) as Item[];
        expect(out).toHaveLength(Math.min(n, input.length));
        expect(out).toEqual(input.slice(0, n));
      }),
    );
  });

  it("limit and sort keep any JSON items intact, even a single item that is an array", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 6 }), fc.nat({ max: 7 }), async (raw, n) => {
        const input = JSON.parse(JSON.stringify(raw)) as unknown[];
        expect(await transform(input, [{ op: "limit", count: n }])).toEqual(input.slice(0, n));
        expect(await transform(input, [{ op: "sort", by: "missing" }])).toEqual(input);
      }),
    );
  });

  it("rename keeps every value and every other key", async () => {
    await fc.assert(
      fc.asyncProperty(items, async (input) => {
        const out = (await transform(input, [{ op: "rename", fields: { k: "renamed" } }])) as Item[];
        expect(out).toHaveLength(input.length);
        out.forEach((x, i) => {
          const { k, ...rest } = input[i] as Item;
          expect(x).toEqual(k === undefined ? rest : { ...rest, renamed: k });
          expect("k" in x).toBe(false);
        });
      }),
    );
  });

  it("count equals the array length; pick keeps only the listed fields", async () => {
    await fc.assert(
      fc.asyncProperty(items, async (input) => {
        expect(await transform(input, [{ op: "count" }])).toBe(input.length);
        const picked = (await transform(input, [{ op: "pick", fields: ["n", "s"] }])) as Item[];
        picked.forEach((x, i) => {
          const src = input[i] as Item;
          expect(x).toEqual({ n: src.n, ...(src.s === undefined ? {} : { s: src.s }) });
        });
      }),
    );
  });
});

describe("transform compiler examples", () => {
  const users = [
    { id: 1, name: "Ada", active: false, city: "Oslo", tags: ["x", "y"] },
    { id: 2, name: "Brian", active: true, city: "Lima", tags: ["y"] },
    { id: 3, name: "Chloe", active: true, city: "Pune", tags: [] },
  ];

  it("compiles to one JSONata string with backtick-quoted fields and JSON literals", () => {
    const expr = compileOperations([{ op: "filter", field: "first name", operator: "==", value: 'O\'Brien "x"' }]);
    expect(expr).toContain("$it.`first name`");
    expect(expr).toContain(JSON.stringify('O\'Brien "x"'));
  });

  it("a filter matching one item still gives an array; matching none gives []", async () => {
    expect(await transform(users, [{ op: "filter", field: "name", operator: "==", value: "Ada" }])).toEqual([users[0]]);
    expect(await transform(users, [{ op: "filter", field: "name", operator: "==", value: "Zed" }])).toEqual([]);
    expect(await transform(users[1], [{ op: "filter", field: "active", operator: "==", value: true }])).toEqual([users[1]]);
  });

  it("supports contains (string and array), in, exists and comparisons", async () => {
    const names = async (op: TransformOperation) => ((await transform(users, [op])) as Item[]).map((u) => u.name);
    expect(await names({ op: "filter", field: "name", operator: "contains", value: "h" })).toEqual(["Chloe"]);
    expect(await names({ op: "filter", field: "tags", operator: "contains", value: "y" })).toEqual(["Ada", "Brian"]);
    expect(await names({ op: "filter", field: "city", operator: "in", value: ["Oslo", "Pune"] })).toEqual(["Ada", "Chloe"]);
    expect(await names({ op: "filter", field: "id", operator: ">=", value: 2 })).toEqual(["Brian", "Chloe"]);
    expect(await names({ op: "filter", field: "id", operator: "<", value: 2 })).toEqual(["Ada"]);
    expect(await names({ op: "filter", field: "name", operator: "<=", value: "B" })).toEqual(["Ada"]);
    expect(await names({ op: "filter", field: "missing", operator: "exists" })).toEqual([]);
    expect(await names({ op: "filter", field: "missing", operator: "exists", value: false })).toHaveLength(3);
  });

  it("chains filter, map, sort, pick and limit, then applies the expression", async () => {
    const ops: TransformOperation[] = [
      { op: "filter", field: "active", operator: "==", value: true },
      { op: "map", fields: { label: "name & ' (' & city & ')'", double: "id * 2" } },
      { op: "sort", by: "id", order: "desc" },
      { op: "pick", fields: ["label", "double"] },
      { op: "limit", count: 1 },
    ];
    expect(await transform(users, ops)).toEqual([{ label: "Chloe (Pune)", double: 6 }]);
    expect(await transform(users, ops.slice(0, 1), "$count($)")).toBe(2);
    expect(await transform(users, undefined, "$sum(id)")).toBe(6);
  });

  it("renames an object input and works with any field name", async () => {
    const odd = { "a b": 1, "x.y": 2, "we`ird": 3, keep: 4 };
    expect(await transform(odd, [{ op: "rename", fields: { "a b": "ab", "we`ird": "weird" } }])).toEqual({
      ab: 1,
      "x.y": 2,
      weird: 3,
      keep: 4,
    });
    expect(await transform([odd], [{ op: "filter", field: "we`ird", operator: "==", value: 3 }])).toEqual([odd]);
  });

  it("merges arrays of arrays, arrays of objects, and leaves an object alone", async () => {
    expect(await transform([[1], [2, 3], []], [{ op: "merge" }])).toEqual([1, 2, 3]);
    expect(await transform([[{ a: 1 }]], [{ op: "merge" }])).toEqual([{ a: 1 }]);
    expect(await transform([{ a: 1 }, { b: 2 }, { a: 3 }], [{ op: "merge" }])).toEqual({ a: 3, b: 2 });
    expect(await transform({ users: [1], posts: [2] }, [{ op: "merge" }])).toEqual({ users: [1], posts: [2] });
    const err = await failure(transform([[1], { a: 1 }], [{ op: "merge" }]));
    expect(err.code).toBe("TRANSFORM_ERROR");
  });

  it("counts a non-array as 1 and nothing as 0", async () => {
    expect(await transform({ a: 1 }, [{ op: "count" }])).toBe(1);
    expect(await transform(null, [{ op: "count" }])).toBe(0);
  });

  it("reports evaluation and syntax errors as TRANSFORM_ERROR with the expression", async () => {
    const syntax = await failure(transform(users, undefined, "$count(("));
    expect(syntax.code).toBe("TRANSFORM_ERROR");
    expect(syntax.retryable).toBe(false);
    expect(syntax.message).toContain("$count((");
    const runtime = await failure(transform(users, undefined, '$error("boom")'));
    expect(runtime.message).toContain("boom");
    const mapSyntax = await failure(transform(users, [{ op: "map", fields: { bad: "1 +" } }]));
    expect(mapSyntax.code).toBe("TRANSFORM_ERROR");
    expect(mapSyntax.message).toContain('"bad"');
  });

  it("rejects filter configs that cannot compile as ACTION_CONFIG_INVALID", async () => {
    const notArray = await failure(transform(users, [{ op: "filter", field: "id", operator: "in", value: 1 }]));
    expect(notArray.code).toBe("ACTION_CONFIG_INVALID");
    const noValue = await failure(transform(users, [{ op: "filter", field: "id", operator: "==" }]));
    expect(noValue.code).toBe("ACTION_CONFIG_INVALID");
    expect(noValue.message).toContain("operations[0]");
  });

  it("stops when the signal is already aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    const config = transformData.schema.parse({ input: [1], expression: "$" }) as TransformDataConfig;
    const err = await failure(transformData.run(config, makeContext({ signal: controller.signal })));
    expect(err.code).toBe("CANCELLED");
  });
});
