import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { type PlanInput, WorkflowEngine } from "../../../src/index.js";
import { makeTempDir } from "../../fixtures/context.js";
import { type CountingServer, startCountingServer } from "../../fixtures/counting-server.js";

let ws: string;
let cleanup: () => Promise<void>;
let engine: WorkflowEngine;
let api: CountingServer;

beforeAll(async () => {
  api = await startCountingServer(() => 0);
});
afterAll(async () => {
  await api.close();
});
beforeEach(async () => {
  ({ dir: ws, cleanup } = await makeTempDir("wf-suggest-"));
  engine = new WorkflowEngine({ workspace: ws, env: {}, workflowsDir: false, allowHosts: ["127.0.0.1"] });
});
afterEach(async () => {
  await engine.close();
  await cleanup();
});

/** The same three steps each time, on another user and into another file; task ids follow the user. */
function export_(user: string): PlanInput {
  return {
    tasks: [
      { id: `get_${user}`, action_type: "api_call", action_config: { url: `${api.url}/users/${user}` } },
      { id: "pick", action_type: "transform_data", action_config: { input: `{{get_${user}.data}}`, expression: "{'user': value}" } },
      {
        id: "save",
        action_type: "file_operation",
        action_config: { operation: "write", path: `out/${user}.json`, content: "{{pick.data}}" },
      },
    ],
  };
}

it("suggest finds a task sequence that recurs across runs, with the values that differ as inputs; the file validates and runs", async () => {
  for (const user of ["ann", "bob", "cyd"]) expect((await engine.run(export_(user))).status).toBe("completed");
  // A run of another shape does not join the group.
  await engine.run({ tasks: [{ id: "w", action_type: "wait", action_config: { ms: 1 } }] });
  expect(await engine.library.suggest({ minRuns: 4 })).toEqual([]);
  const [found, ...more] = await engine.library.suggest({ minRuns: 3 });
  expect(more).toEqual([]);
  expect(found?.runs).toBe(3);
  const def = found?.definition;
  expect(def?.name).toMatch(/^suggested_[0-9a-f]{8}$/);
  expect(Object.keys(def?.inputs ?? {}).sort()).toEqual(["get_ann_url", "save_path"]);
  expect(def?.tasks[0]?.action_config.url).toBe(`${api.url}/users/{{inputs.get_ann_url}}`);
  expect(def?.tasks[2]?.action_config.path).toBe("out/{{inputs.save_path}}.json");
  // Deterministic: asked again, the same suggestion.
  expect((await engine.library.suggest({ minRuns: 3 }))[0]?.definition).toEqual(def);
  await engine.library.add(def);
  const r = await engine.run({ workflow: def?.name ?? "", inputs: { get_ann_url: "dee", save_path: "dee" } });
  expect(r.status).toBe("completed");
  expect(r.tasks.find((t) => t.id === "pick")?.result).toEqual({ data: { user: "value-users/dee" } });
  expect(api.hits("/users/dee")).toBe(1);
});

it("finds a sequence repeated inside longer, different runs, and does not suggest its parts again", async () => {
  // Each run does something else first (a wait, a different write), then the same three steps.
  const before = [
    [{ id: "pause", action_type: "wait", action_config: { ms: 1 } }],
    [{ id: "note", action_type: "file_operation", action_config: { operation: "write", path: "n.txt", content: "x" } }],
    [
      { id: "a", action_type: "wait", action_config: { ms: 1 } },
      { id: "b", action_type: "wait", action_config: { ms: 2 }, dependencies: ["a"] },
    ],
  ];
  const users = ["eve", "fay", "gus"];
  for (const [i, user] of users.entries()) {
    const plan = export_(user);
    expect((await engine.run({ tasks: [...(before[i] as never[]), ...plan.tasks] })).status).toBe("completed");
  }
  const suggested = await engine.library.suggest({ minRuns: 3 });
  expect(suggested).toHaveLength(1);
  const def = suggested[0]?.definition;
  expect(def?.tasks.map((t) => t.action_type)).toEqual(["api_call", "transform_data", "file_operation"]);
  expect(Object.keys(def?.inputs ?? {}).sort()).toEqual(["get_eve_url", "save_path"]);
  expect(suggested[0]?.runs).toBe(3);
});
