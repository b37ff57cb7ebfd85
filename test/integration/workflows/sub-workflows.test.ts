import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WorkflowEngine, type WorkflowEvent } from "../../../src/index.js";
import { makeTempDir } from "../../fixtures/context.js";
import { aParent, aWorkflow } from "../../fixtures/workflow-files.js";

let ws: string;
let cleanup: () => Promise<void>;
let engine: WorkflowEngine;

function newEngine(onEvent?: (e: WorkflowEvent) => void): WorkflowEngine {
  return new WorkflowEngine({ workspace: ws, env: {}, workflowsDir: false, ...(onEvent ? { onEvent } : {}) });
}

beforeEach(async () => {
  ({ dir: ws, cleanup } = await makeTempDir("wf-sub-"));
  engine = newEngine();
});
afterEach(async () => {
  await engine.close();
  await cleanup();
});

describe("sub-workflows", () => {
  it("nest two deep: each level a child run of its own, linked to its parent, its outputs the task's result", async () => {
    await engine.library.add(aWorkflow());
    await engine.library.add(aParent("middle", "double", { n: "{{inputs.n}}" }, { inputs: { n: { type: "number" } } }));
    await engine.library.add(aParent("top", "middle", { n: 21 }));
    const r = await engine.run({ workflow: "top" }, { runId: "top-run" });
    expect(r.status).toBe("completed");
    expect(r.outputs).toEqual({ value: 42 });
    const sub = r.tasks.find((t) => t.id === "sub");
    expect(sub).toMatchObject({ status: "completed", result: { value: 42 }, child_run_id: "top-run.sub" });
    const middle = (await engine.getRun("top-run.sub")).result;
    expect(middle).toMatchObject({ workflow: "middle@1.0.0", parent: { run_id: "top-run", task_id: "sub" }, outputs: { value: 42 } });
    const leaf = (await engine.getRun("top-run.sub.sub")).result;
    expect(leaf).toMatchObject({ workflow: "double@1.0.0", status: "completed", parent: { run_id: "top-run.sub", task_id: "sub" } });
  });

  it("cancelling the parent cancels its children, two deep", async () => {
    await engine.library.add({
      name: "slow",
      version: "1.0.0",
      description: "waits",
      tasks: [{ id: "nap", action_type: "wait", action_config: { seconds: 30 } }],
    });
    await engine.library.add(aParent("middle", "slow", {}, { outputs: {} }));
    await engine.library.add(aParent("top", "middle", {}, { outputs: {} }));
    const stop = new AbortController();
    const watcher = newEngine((e) => {
      if (e.run_id === "c-top.sub.sub" && e.type === "task_started") stop.abort("enough");
    });
    try {
      const r = await watcher.run({ workflow: "top" }, { runId: "c-top", signal: stop.signal });
      expect(r.status).toBe("failed");
      for (const id of ["c-top.sub", "c-top.sub.sub"]) {
        const child = (await watcher.getRun(id)).result;
        expect(child.status, id).toBe("failed");
        expect(child.error?.code, id).toBe("CANCELLED");
      }
    } finally {
      await watcher.close();
    }
  });

  it("a resumed run keeps the versions it started with, its own and its sub-workflows'", async () => {
    await engine.library.add(aWorkflow());
    await engine.library.add({
      ...aParent("pinned", "double", { n: 5 }),
      tasks: [
        { id: "pause", action_type: "wait", action_config: { ms: 400 } },
        { id: "sub", dependencies: ["pause"], action_type: "workflow", action_config: { name: "double", inputs: { n: 5 } } },
      ],
    });
    const suspend = new AbortController();
    const first = newEngine((e) => {
      if (e.type === "task_started" && e.task_id === "pause") setTimeout(() => suspend.abort("restart"), 50);
    });
    await expect(first.run({ workflow: "pinned" }, { runId: "pin", suspend: suspend.signal })).rejects.toMatchObject({
      code: "RUN_SUSPENDED",
    });
    await first.close();
    // A new version of the child and of the parent arrive before the resume.
    await engine.library.add(
      aWorkflow({
        version: "2.0.0",
        tasks: [{ id: "calc", action_type: "transform_data", action_config: { input: "{{inputs.n}}", expression: "$ * 1000" } }],
      }),
    );
    await engine.library.add({ ...aParent("pinned", "double", { n: 5 }), version: "1.1.0" });
    const r = await engine.resume("pin");
    expect(r.status).toBe("completed");
    expect(r.workflow).toBe("pinned@1.0.0");
    expect(r.tasks.find((t) => t.id === "sub")?.action_config).toMatchObject({ name: "double", version: "1.0.0" });
    expect(r.outputs).toEqual({ value: 10 });
    expect((await engine.getRun("pin.sub")).result.workflow).toBe("double@1.0.0");
    // A new run takes the newest versions.
    const fresh = await engine.run({ workflow: "pinned" });
    expect(fresh.workflow).toBe("pinned@1.1.0");
    expect(fresh.outputs).toEqual({ value: 5000 });
  });
});
