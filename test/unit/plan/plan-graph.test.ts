import parseDot from "dotparser";
import { JSDOM } from "jsdom";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { toDot, toMermaid } from "../../../src/plan/plan-graph.js";
import { validatePlan } from "../../../src/plan/validate.js";
import type { TaskStatus } from "../../../src/model/task-state.js";
import { plan, waitTask } from "../../fixtures/plans.js";

type Mermaid = { parse(text: string): Promise<{ diagramType: string }> };
let mermaid: Mermaid;

beforeAll(async () => {
  // mermaid's parser needs a DOM (DOMPurify); jsdom provides one.
  const dom = new JSDOM("<!doctype html><html><body></body></html>");
  Object.assign(globalThis, { window: dom.window, document: dom.window.document });
  mermaid = (await import("mermaid")).default as unknown as Mermaid;
});

const awkward = validatePlan(
  plan(
    { ...waitTask("fetch-users"), name: 'Fetch "users" <all> `now`' },
    { ...waitTask("filter_1", 0, ["fetch-users"]), name: "Keep a -> b & c" },
    waitTask("save", 0, ["filter_1"]),
    waitTask("side"),
  ),
);
const statuses: Record<string, TaskStatus> = { "fetch-users": "completed", filter_1: "failed", save: "skipped", side: "running" };

describe("graph export", () => {
  it("mermaid output parses with the real mermaid parser, with and without statuses", async () => {
    expect((await mermaid.parse(toMermaid(awkward))).diagramType).toBe("flowchart-v2");
    expect((await mermaid.parse(toMermaid(awkward, statuses))).diagramType).toBe("flowchart-v2");
  });

  it("mermaid output has every node, edge and status class", () => {
    const text = toMermaid(awkward, statuses);
    expect(text.startsWith("flowchart TD\n")).toBe(true);
    expect(text).toContain("fetch-users --> filter_1");
    expect(text).toContain("filter_1 --> save");
    expect(text).toContain("class filter_1 failed");
    expect(text).toMatch(/classDef completed fill:#c8f7c5/);
  });

  it("the parser would catch a broken diagram (the check can fail)", async () => {
    await expect(mermaid.parse('flowchart TD\n  a[[["broken')).rejects.toThrow(/Parse error/);
  });

  it("dot output parses and carries the statuses as fill colours", () => {
    const ast = parseDot(toDot(awkward, statuses));
    const graph = ast[0];
    expect(graph?.type).toBe("digraph");
    const edges = (graph?.children ?? []).filter((c) => c.type === "edge_stmt");
    expect(edges).toHaveLength(2);
    const text = toDot(awkward, statuses);
    expect(text).toContain('"filter_1" [label="Keep a -> b & c\\ntransform_data'.replace("transform_data", "wait"));
    expect(text).toContain('fillcolor="#f7c5c5"');
  });
});

describe("graph export of any valid task ids", () => {
  const keywordish = fc.constantFrom(
    "end",
    "End",
    "graph",
    "style",
    "subgraph",
    "class",
    "classDef",
    "click",
    "default",
    "direction",
    "o-x",
    "x-o",
    "_--",
    "a--b",
    "end_",
    "end-",
    "_blank",
    "flowchart",
    "call",
    "href",
    "linkStyle",
  );
  const anyId = fc.oneof(keywordish, fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,20}$/));
  const idSets = fc.uniqueArray(anyId, { minLength: 1, maxLength: 8 });

  it("mermaid's own parser accepts the output, with every task and edge present", async () => {
    await fc.assert(
      fc.asyncProperty(idSets, fc.boolean(), async (ids, withStatus) => {
        const tasks = ids.map((id, i) => waitTask(id, 0, i > 0 ? [ids[i - 1] as string] : []));
        const valid = validatePlan(plan(...tasks));
        const statusOf = withStatus ? Object.fromEntries(ids.map((id) => [id, "completed" as TaskStatus])) : {};
        const text = toMermaid(valid, statusOf);
        expect((await mermaid.parse(text)).diagramType).toBe("flowchart-v2");
        // one node line per task, one edge per dependency
        expect(text.split("\n").filter((l) => l.includes("<br/>wait"))).toHaveLength(ids.length);
        expect(text.split("\n").filter((l) => l.includes(" --> "))).toHaveLength(ids.length - 1);
      }),
      { numRuns: 150, seed: 7 },
    );
  });

  it("DOT output parses for the same ids", () => {
    fc.assert(
      fc.property(idSets, (ids) => {
        const valid = validatePlan(plan(...ids.map((id) => waitTask(id))));
        const graph = parseDot(toDot(valid)) as unknown[];
        expect(graph).toHaveLength(1);
      }),
      { numRuns: 60, seed: 7 },
    );
  });
});
