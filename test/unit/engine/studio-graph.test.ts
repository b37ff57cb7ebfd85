import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { validatePlan } from "../../../src/plan/validate.js";
import { REPO } from "../../fixtures/cli.js";
import { plan, waitTask } from "../../fixtures/plans.js";

interface LangGraphJson {
  graphs: Record<string, string>;
}

describe("langgraph.json", () => {
  it("names a module that loads and exports a compiled graph with the engine's nodes", async () => {
    const config = JSON.parse(readFileSync(path.join(REPO, "langgraph.json"), "utf8")) as LangGraphJson;
    const entries = Object.entries(config.graphs);
    expect(entries).toHaveLength(1);
    const [file, exportName] = (entries[0]?.[1] ?? "").split(":");
    const mod = (await import(path.join(REPO, file ?? ""))) as Record<string, unknown>;
    const graph = mod[exportName ?? ""] as { getGraph(): { nodes: Record<string, unknown> }; invoke: unknown };
    expect(typeof graph.invoke).toBe("function");
    const nodes = Object.keys(graph.getGraph().nodes);
    expect(nodes).toEqual(expect.arrayContaining(["plan", "decide", "execute", "handle_failure", "complete"]));
    const input = {
      context: { workflow_id: "studio-1", status: "planning", started_at: new Date().toISOString(), concurrency: 2 },
      workflow_plan: validatePlan(plan(waitTask("a", 1), waitTask("b", 1, ["a"]))),
    };
    const final = (await (graph.invoke as (i: unknown) => Promise<unknown>)(input)) as { context: { status: string } };
    expect(final.context.status).toBe("completed");
  });
});
