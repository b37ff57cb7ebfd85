import { afterAll, afterEach, expect, it } from "vitest";
import { WorkflowEngine } from "../../../src/engine/workflow-engine.js";
import { makeTempDir } from "../../fixtures/context.js";
import { inTestWorker, queuePrefix, REDIS_URL } from "../../fixtures/queue.js";
import { aWorkflow } from "../../fixtures/workflow-files.js";

const { prefix, cleanup } = queuePrefix("qsub");
const open: { close(grace?: number): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close(0)));
});
afterAll(cleanup);

it("with the queue executor, a workflow task's child run is driven here while its tasks (and the parent's others) go to the workers", async () => {
  const w = inTestWorker({ keyPrefix: prefix });
  await w.worker.start();
  open.push({ close: () => w.worker.close(0) });
  const { dir, cleanup: rmDir } = await makeTempDir("wf-qsub-");
  open.push({ close: rmDir });
  const engine = new WorkflowEngine({
    executor: "queue",
    redisUrl: REDIS_URL,
    redisPrefix: prefix,
    persist: "memory",
    env: {},
    workspace: dir,
    workflowsDir: false,
  });
  open.push(engine);
  await engine.library.add(aWorkflow());
  const r = await engine.run({
    tasks: [
      { id: "first", action_type: "transform_data", action_config: { input: 20, expression: "$ + 1" } },
      { id: "sub", action_type: "workflow", action_config: { name: "double", inputs: { n: "{{first.data}}" } } },
    ],
  });
  expect(r.status).toBe("completed");
  expect(r.tasks.find((t) => t.id === "sub")?.result).toEqual({ value: 42 });
  // The worker ran the parent's transform and the child's: not the workflow task itself.
  expect(w.ended.size).toBe(2);
});
