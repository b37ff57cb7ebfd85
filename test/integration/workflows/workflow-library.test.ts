import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { WorkflowEngine, type WorkflowDefinitionInput } from "../../../src/index.js";
import { workflowJsonSchema } from "../../../src/model/workflow-json-schema.js";
import { dropSchemas, PG_URL } from "../../fixtures/cli-child.js";
import { makeTempDir } from "../../fixtures/context.js";
import { aParent, aWorkflow } from "../../fixtures/workflow-files.js";

const SCHEMA_PREFIX = `wflib_${process.pid}_`;
let ws: string;
let cleanup: () => Promise<void>;
let n = 0;

const backends: [string, () => WorkflowEngine][] = [
  ["sqlite", () => new WorkflowEngine({ workspace: ws, env: {}, workflowsDir: false })],
  [
    "postgres",
    () =>
      new WorkflowEngine({
        workspace: ws,
        env: {},
        workflowsDir: false,
        checkpointUrl: PG_URL,
        checkpointSchema: `${SCHEMA_PREFIX}${n++}`,
      }),
  ],
  ["memory", () => new WorkflowEngine({ workspace: ws, env: {}, workflowsDir: false, persist: "memory" })],
];

beforeEach(async () => {
  ({ dir: ws, cleanup } = await makeTempDir("wf-lib-"));
});
afterEach(async () => {
  await cleanup();
});
afterAll(async () => {
  await dropSchemas(SCHEMA_PREFIX);
});

describe.each(backends)("the library in %s", (_name, make) => {
  it("adds, lists, gets (newest or pinned), searches and removes versions; a version is immutable", async () => {
    const engine = make();
    try {
      expect(await engine.library.add(aWorkflow())).toEqual({ ref: "double@1.0.0", outcome: "added" });
      expect(await engine.library.add(aWorkflow())).toEqual({ ref: "double@1.0.0", outcome: "unchanged" });
      await expect(engine.library.add(aWorkflow({ description: "Double it, changed" }))).rejects.toMatchObject({
        code: "WORKFLOW_EXISTS",
        message: expect.stringContaining("double@1.0.0 is already in the library"),
      });
      await engine.library.add(aWorkflow({ version: "1.10.0", description: "Double a number, newer" }));
      await engine.library.add(aWorkflow({ version: "1.9.0" }));
      const [summary] = await engine.library.list();
      expect(summary).toMatchObject({ name: "double", version: "1.10.0", versions: ["1.0.0", "1.9.0", "1.10.0"] });
      expect((await engine.library.get("double")).version).toBe("1.10.0");
      expect((await engine.library.get("double", "1.0.0")).description).toBe("Double a number");
      expect((await engine.run({ workflow: "double@1.0.0", inputs: { n: 4 } })).outputs).toEqual({ value: 8 });
      await engine.library.add({
        name: "fetcher",
        version: "1.0.0",
        description: "Fetch the users",
        tags: ["people"],
        tasks: [{ id: "get", action_type: "api_call", action_config: { url: "https://api.example.com/users" } }],
      });
      expect((await engine.library.search("example.com")).map((h) => h.name)).toEqual(["fetcher"]);
      expect((await engine.library.search("transform_data")).map((h) => h.name)).toEqual(["double"]);
      expect((await engine.library.search("people api_call users")).map((h) => [h.name, h.score])).toEqual([["fetcher", 3]]);
      await engine.library.remove("double", "1.10.0");
      expect((await engine.library.get("double")).version).toBe("1.9.0");
      await expect(engine.library.get("double", "1.10.0")).rejects.toMatchObject({
        code: "WORKFLOW_NOT_FOUND",
        message: 'No version 1.10.0 of the workflow "double"; its versions: 1.0.0, 1.9.0.',
      });
    } finally {
      await engine.close();
    }
  });
});

describe("bad workflow files are refused before anything runs", () => {
  let engine: WorkflowEngine;
  beforeEach(() => {
    engine = new WorkflowEngine({ workspace: ws, env: {}, workflowsDir: false });
  });
  afterEach(async () => {
    await engine.close();
  });

  const refused = async (def: WorkflowDefinitionInput, message: string) => {
    await expect(engine.library.add(def)).rejects.toMatchObject({ code: "WORKFLOW_INVALID", message: expect.stringContaining(message) });
  };

  it("a reference to an input that is not declared", async () => {
    await refused(
      aWorkflow({ tasks: [{ id: "calc", action_type: "transform_data", action_config: { input: "{{inputs.m}}", expression: "$" } }] }),
      'tasks[0].action_config: {{inputs.m}} reads the input "m", which is not declared (the inputs are: n)',
    );
  });

  it("a missing required input, an unknown one and a value of the wrong type, when run", async () => {
    await engine.library.add(aWorkflow());
    await expect(engine.run({ workflow: "double", inputs: {} })).rejects.toMatchObject({
      code: "INPUT_INVALID",
      message: expect.stringContaining('inputs.n: the required input "n" (number: the number) is missing; give it'),
    });
    await expect(engine.run({ workflow: "double", inputs: { n: "four", extra: 1 } })).rejects.toMatchObject({
      code: "INPUT_INVALID",
      message: expect.stringMatching(
        /inputs\.extra: "extra" is not an input of double@1\.0\.0 \(the inputs are: n\)[\s\S]*inputs\.n: "four" is string, but the input "n" is number/,
      ),
    });
    expect(await engine.listRuns()).toEqual([]);
  });

  it("an output (or a read of a sub-workflow's output) that does not exist", async () => {
    await refused(
      aWorkflow({ outputs: { value: "{{nope.data}}" } }),
      'outputs.value: {{nope.data}} refers to "nope", which is not a task of this workflow (the tasks: calc)',
    );
    await engine.library.add(aWorkflow());
    await refused(
      aParent("p", "double", { n: 1 }, { outputs: { v: "{{sub.total}}" } }),
      'outputs.v: {{sub.total}} reads the output "total" of double@1.0.0, which has only: value',
    );
  });

  it("a for_each over a non-list: an input that is not an array, or a literal text", async () => {
    const loop = (for_each: unknown) =>
      aWorkflow({
        tasks: [
          {
            id: "calc",
            for_each: for_each as string,
            action_type: "transform_data",
            action_config: { input: "{{item}}", expression: "$" },
          },
        ],
      });
    await refused(loop("{{inputs.n}}"), 'tasks[0].for_each: "{{inputs.n}}" is the number input "n", not a list; declare it type: array');
    await refused(loop("a,b,c"), 'tasks[0].for_each: "a,b,c" is not a list: for_each takes a list or one {{reference}} to a list');
  });

  it("a sub-workflow cycle A -> B -> A", async () => {
    await engine.library.add(aWorkflow({ name: "a" }));
    await engine.library.add(aParent("b", "a", { n: 1 }));
    await refused(aParent("a", "b", { n: 1 }, { version: "2.0.0" }), "sub-workflow cycle: a@2.0.0 -> b@1.0.0 -> a@2.0.0");
    expect((await engine.library.get("a")).version).toBe("1.0.0");
  });

  it("a sub-workflow that does not exist, or is given an input it does not take", async () => {
    await refused(aParent("p", "ghost", {}), 'tasks[0].action_config.name: no workflow "ghost" in the library');
    await engine.library.add(aWorkflow());
    await refused(aParent("p", "double", { n: 1, x: 2 }), 'tasks[0].action_config.inputs.x: "x" is not an input of double@1.0.0');
  });

  it("a file that is not YAML or breaks the schema names the field and the value", async () => {
    const { parseWorkflowText } = await import("../../../src/engine/workflow-file.js");
    expect(() => parseWorkflowText("name: [", "bad.yaml")).toThrow(/bad\.yaml is not valid YAML or JSON/);
    expect(() => parseWorkflowText("name: Bad Name\nversion: 1\ndescription: x\ntasks: []", "bad.yaml")).toThrow(
      /name: a workflow name is lowercase.*\(given "Bad Name"\)[\s\S]*version: 1 is not a string[\s\S]*tasks: a workflow needs at least one task/,
    );
  });
});

describe("the published JSON Schema", () => {
  it("docs/workflow.schema.json is the zod schema's (npm run schema writes it)", () => {
    const file = JSON.parse(readFileSync(new URL("../../../docs/workflow.schema.json", import.meta.url), "utf8"));
    expect(file).toEqual(workflowJsonSchema());
  });
});
