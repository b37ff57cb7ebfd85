import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { WorkflowEngine } from "../../../src/index.js";
import { makeTempDir } from "../../fixtures/context.js";
import { type ChatMessage, type OpenAiFixture, startOpenAiFixture } from "../../fixtures/openai-server.js";
import { aWorkflow } from "../../fixtures/workflow-files.js";

let ws: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir: ws, cleanup } = await makeTempDir("wf-libplan-"));
});
afterEach(async () => {
  await cleanup();
});

describe("the rule planner and the library", () => {
  let engine: WorkflowEngine;
  beforeEach(async () => {
    engine = new WorkflowEngine({ workspace: ws, env: {}, workflowsDir: false, planner: "rules" });
    await engine.library.add(aWorkflow());
  });
  afterEach(async () => {
    await engine.close();
  });

  it("a goal that names a library workflow becomes a one-task plan calling it, pinned to its newest version", async () => {
    const r = await engine.run("run the double workflow with n=21");
    expect(r.status).toBe("completed");
    expect(r.planner).toBe("rules");
    expect(r.tasks).toHaveLength(1);
    expect(r.tasks[0]).toMatchObject({
      action_type: "workflow",
      action_config: { name: "double", version: "1.0.0", inputs: { n: 21 } },
      result: { value: 42 },
    });
  });

  it("a named workflow's inputs are checked before anything runs; a goal naming no workflow is planned as before", async () => {
    await expect(engine.run("run double with n=abc")).rejects.toMatchObject({
      code: "WORKFLOW_INVALID",
      message: expect.stringContaining('tasks[0].action_config.inputs.n: "abc" is string, but the input "n" is number'),
    });
    await expect(engine.run("run double")).rejects.toMatchObject({
      code: "WORKFLOW_INVALID",
      message: expect.stringContaining('the required input "n"'),
    });
    expect(await engine.listRuns()).toEqual([]);
    await expect(engine.run("run triple with n=1")).rejects.toMatchObject({ code: "GOAL_NOT_UNDERSTOOD" });
  });
});

/** A deterministic token count for the fixture: about 4 characters a token, as OpenAI's tokenizers average on English. */
function estimate(text: string): number {
  return Math.ceil(text.length / 4);
}

describe("the LLM planner and the library (fixture LLM)", () => {
  let llm: OpenAiFixture;
  const GOAL = "Fetch the products from http://127.0.0.1:9/products, keep those in stock, and write them to out/p.json and out/p.csv";
  /** What a model answers without the library: the whole pipeline, task by task (as data_pipeline.yaml has it). */
  const freshPlan = {
    tasks: [
      { id: "fetch", action_type: "api_call", action_config: { url: "http://127.0.0.1:9/products" }, dependencies: [] },
      {
        id: "keep",
        action_type: "transform_data",
        action_config: { input: "{{fetch.data}}", operations: [{ op: "filter", field: "in_stock", operator: "==", value: true }] },
        dependencies: ["fetch"],
      },
      {
        id: "check",
        action_type: "transform_data",
        action_config: { input: "{{keep.data}}", expression: "($assert($count($) >= 0, 'rows'); $)" },
        dependencies: ["keep"],
      },
      {
        id: "write_json",
        action_type: "file_operation",
        action_config: { operation: "write", path: "out/p.json", content: "{{check.data}}" },
        dependencies: ["check"],
      },
      {
        id: "to_csv",
        action_type: "transform_data",
        action_config: {
          input: "{{check.data}}",
          expression: '$join($map($, function($r){ $join($map($keys($r), function($k){ $string($lookup($r, $k)) }), ",") }), "\\n")',
        },
        dependencies: ["check"],
      },
      {
        id: "write_csv",
        action_type: "file_operation",
        action_config: { operation: "write", path: "out/p.csv", content: "{{to_csv.data}}" },
        dependencies: ["to_csv"],
      },
    ],
  };
  const reuse = {
    tasks: [
      {
        id: "pipeline",
        action_type: "workflow",
        action_config: {
          name: "data_pipeline",
          inputs: {
            source_url: "http://127.0.0.1:9/products",
            json_path: "out/p.json",
            csv_path: "out/p.csv",
            transformations: [{ op: "filter", field: "in_stock", operator: "==", value: true }],
          },
        },
        dependencies: [],
      },
    ],
  };

  beforeAll(async () => {
    llm = await startOpenAiFixture();
    // The fixture answers like a model that uses the library when it is shown one; usage is counted from what was sent and answered.
    llm.handle((request) => {
      const prompt = request.body.messages
        .map((m: ChatMessage) => (typeof m.content === "string" ? m.content : JSON.stringify(m.content)))
        .join("\n");
      const shown = prompt.includes("LIBRARY WORKFLOWS") && prompt.includes("data_pipeline");
      const plan = shown ? reuse : freshPlan;
      const sent = `${prompt}${JSON.stringify(request.body.tools ?? request.body.response_format ?? "")}`;
      return { json: plan, usage: { prompt_tokens: estimate(sent), completion_tokens: estimate(JSON.stringify(plan)) } };
    });
  });
  afterAll(async () => {
    await llm.close();
  });

  it("picks a library workflow for a goal it answers, with fewer completion tokens than a fresh plan", async () => {
    const planWith = async (workflowsDir: string | false) => {
      const engine = new WorkflowEngine({
        workspace: ws,
        persist: "memory",
        planner: "llm",
        advisor: null,
        workflowsDir,
        env: { OPENAI_API_KEY: "k", OPENAI_BASE_URL: llm.url },
      });
      try {
        const before = llm.requests.length;
        const plan = await engine.plan(GOAL);
        const last = llm.requests[llm.requests.length - 1];
        expect(llm.requests.length - before).toBe(1);
        return { plan, prompt: JSON.stringify(last?.body.messages) };
      } finally {
        await engine.close();
      }
    };
    const without = await planWith(false);
    const withLib = await planWith(new URL("../../../workflows", import.meta.url).pathname);
    expect(without.plan.tasks).toHaveLength(6);
    expect(withLib.plan.tasks).toHaveLength(1);
    expect(withLib.plan.tasks[0]).toMatchObject({ action_type: "workflow", action_config: { name: "data_pipeline", version: "1.0.0" } });
    expect(withLib.prompt).toContain("job_execution"); // every library workflow is listed, as data
    const tokens = (p: { prompt: string }, plan: unknown) => ({ prompt: estimate(p.prompt), completion: estimate(JSON.stringify(plan)) });
    const a = tokens(without, freshPlan);
    const b = tokens(withLib, reuse);
    console.log(
      `planning tokens on the fixture LLM: without the library ${a.prompt} prompt + ${a.completion} completion; with it ${b.prompt} + ${b.completion}`,
    );
    expect(b.completion).toBeLessThan(a.completion);
  });
});
