import parseDot from "dotparser";
import { JSDOM } from "jsdom";
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
