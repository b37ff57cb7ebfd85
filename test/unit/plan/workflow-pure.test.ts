import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planForLibraryGoal } from "../../../agents/rules/library-goal.js";
import { compareVersions } from "../../../src/model/workflow-schema.js";
import { conditionRoots } from "../../../src/plan/condition.js";
import { bindLoopItem } from "../../../src/plan/loop-binding.js";
import { findReferences } from "../../../src/plan/template.js";

const json = fc.jsonValue({ maxDepth: 3 });

describe("bindLoopItem", () => {
  it("a pure {{item}} keeps the item's type, {{index}} is the number; other references are left for launch time", () => {
    fc.assert(
      fc.property(json, fc.nat(10_000), (item, index) => {
        const bound = bindLoopItem({ a: "{{item}}", b: "{{index}}", c: "{{fetch.data}}", d: ["x {{index}} y"] }, item, index) as Record<
          string,
          unknown
        >;
        expect(bound.a).toEqual(item);
        expect(bound.b).toBe(index);
        expect(bound.c).toBe("{{fetch.data}}");
        expect(bound.d).toEqual([`x ${index} y`]);
      }),
    );
  });

  it("{{item.path}} reads into the item, null where it has no such field; nothing else in the config changes", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom("a", "b", "c"), json), (item) => {
        const bound = bindLoopItem({ v: "{{item.a}}", w: "{{item.zz}}", k: 3 }, item, 0) as Record<string, unknown>;
        expect(bound.v).toEqual(Object.hasOwn(item, "a") ? item.a : null);
        expect(bound.w).toBeNull();
        expect(bound.k).toBe(3);
      }),
    );
  });

  it("the bound config holds no loop reference, and keeps every other one", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const config = { s: `${text}{{item}}{{other.x}}` };
        const refs = findReferences(bindLoopItem(config, "v", 1)).refs.map((r) => r.root);
        expect(refs).not.toContain("item");
        expect(refs).toContain("other");
      }),
    );
  });
});

describe("compareVersions", () => {
  const version = fc.tuple(fc.nat(20), fc.nat(20), fc.nat(20));
  it("orders versions as number tuples (1.10.0 after 1.9.0), a total order", () => {
    fc.assert(
      fc.property(version, version, ([a, b, c], [x, y, z]) => {
        const got = Math.sign(compareVersions(`${a}.${b}.${c}`, `${x}.${y}.${z}`));
        const want = Math.sign(a - x || b - y || c - z);
        expect(got).toBe(want);
        expect(Math.sign(compareVersions(`${x}.${y}.${z}`, `${a}.${b}.${c}`))).toBe(-want);
      }),
    );
  });
});

describe("conditionRoots", () => {
  it("names the first step of each path and bare names; a syntax error is reported, not thrown", () => {
    expect(conditionRoots("$count(fetch.data[x > $$.inputs.min]) > 0 and flag").roots.sort()).toEqual(["fetch", "flag"]);
    expect(conditionRoots("inputs.n > 2").roots).toEqual(["inputs"]);
    expect(conditionRoots("((").error).toBeDefined();
  });
});

describe("the rule planner's library goals", () => {
  const library = [
    {
      name: "double",
      version: "1.0.0",
      description: "x",
      inputs: { n: { type: "number", required: true }, label: { type: "string", required: false } },
    },
  ];
  it("'run NAME with k=v ...' is a one-task plan calling it; values read as the declared type", () => {
    expect(planForLibraryGoal("Run the double workflow with n=21 and label=42", library)?.tasks[0]).toMatchObject({
      action_type: "workflow",
      action_config: { name: "double", inputs: { n: 21, label: "42" } },
    });
    expect(planForLibraryGoal("run double@1.0.0", library)?.tasks[0]?.action_config).toEqual({
      name: "double",
      version: "1.0.0",
      inputs: {},
    });
  });
  it("a goal naming no library workflow, or with other words after 'with', is left to the rules", () => {
    expect(planForLibraryGoal("run triple with n=1", library)).toBeUndefined();
    expect(planForLibraryGoal("run double with n=1 then delete everything", library)).toBeUndefined();
    expect(planForLibraryGoal("fetch https://x/y", library)).toBeUndefined();
  });
});
