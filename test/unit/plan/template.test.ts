import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { WorkflowError } from "../../../src/model/errors.js";
import { findReferences, parseReference, resolveTemplates, type TemplateScope } from "../../../src/plan/template.js";

const scope = (results: Record<string, unknown>, variables: Record<string, unknown> = {}): TemplateScope => ({
  results,
  variables,
  taskIds: new Set(Object.keys(results)),
});

describe("templates", () => {
  it("keeps the type of a pure reference", () => {
    const data = { users: [{ id: 1 }, { id: 2 }] };
    expect(resolveTemplates("{{fetch.data}}", scope({ fetch: { data } }))).toBe(data);
    expect(resolveTemplates({ n: "{{ fetch.data.users[1].id }}" }, scope({ fetch: { data } }))).toEqual({ n: 2 });
  });

  it("stringifies references inside longer strings", () => {
    const s = scope({ auth: { data: { token: "t0k" }, status: 200 } }, { host: "api.local" });
    expect(resolveTemplates("Bearer {{auth.data.token}} @ {{host}} ({{auth.status}})", s)).toBe("Bearer t0k @ api.local (200)");
    expect(resolveTemplates("x={{auth.data}}", s)).toBe('x={"token":"t0k"}');
  });

  it("reads variables", () => {
    expect(resolveTemplates(["{{n}}", "{{name}}"], scope({}, { n: 3, name: "z" }))).toEqual([3, "z"]);
  });

  it("fails clearly on a missing path, result or variable", () => {
    const s = scope({ a: { data: {} } });
    expect(() => resolveTemplates("{{a.data.missing}}", s)).toThrow(/Cannot resolve \{\{a\.data\.missing\}\}: the value has no "missing"/);
    const noResult: TemplateScope = { results: {}, variables: {}, taskIds: new Set(["b"]) };
    expect(() => resolveTemplates("{{b.data}}", noResult)).toThrow(/task "b" has no result yet/);
    try {
      resolveTemplates("{{ghost}}", s);
    } catch (err) {
      expect((err as WorkflowError).code).toBe("TEMPLATE_UNRESOLVED");
    }
  });

  it("keeps __proto__ keys as data", () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}, "a": "{{v}}"}');
    const out = resolveTemplates(value, scope({}, { v: 1 })) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(out)).toEqual(["__proto__", "a"]);
  });

  const identifier = fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/);

  it("property: a pure reference returns exactly the value at its path", () => {
    fc.assert(
      fc.property(identifier, fc.array(identifier, { maxLength: 4 }), fc.jsonValue(), (root, path, leaf) => {
        const nested = path.reduceRight<unknown>((acc, key) => ({ [key]: acc }), leaf);
        const ref = `{{${[root, ...path].join(".")}}}`;
        expect(resolveTemplates(ref, scope({ [root]: nested }))).toEqual(leaf);
      }),
    );
  });

  it("property: values without references come back unchanged", () => {
    const noBraces = fc.jsonValue().filter((v) => !JSON.stringify(v).includes("{{"));
    fc.assert(
      fc.property(noBraces, (v) => {
        expect(resolveTemplates(v, scope({}))).toEqual(v);
      }),
    );
  });

  it("property: findReferences finds every reference it is given", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(identifier, identifier), { minLength: 1, maxLength: 5 }), (pairs) => {
        const text = pairs.map(([a, b]) => `x {{${a}.${b}}} y`).join(" ");
        const { refs, malformed } = findReferences({ nested: [text] });
        expect(malformed).toEqual([]);
        expect(refs.map((r) => [r.root, r.path[0]])).toEqual(pairs);
      }),
    );
  });

  it("parses array indexes in paths", () => {
    expect(parseReference("a.items[3].name")).toEqual({ raw: "a.items[3].name", root: "a", path: ["items", 3, "name"] });
    expect(parseReference("a..b")).toBeUndefined();
  });
});
