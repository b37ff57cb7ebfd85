import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type DemoApi, startDemoApi } from "../../../src/demo/demo-api.js";
import { readWorkflowFile } from "../../../src/engine/workflow-file.js";
import { REPO } from "../../fixtures/cli.js";
import { makeTempDir } from "../../fixtures/context.js";
import { call, startTestServer, type TestServer } from "../../fixtures/test-server.js";

let demo: DemoApi;
let server: TestServer;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  demo = await startDemoApi();
  const ws = await makeTempDir("wf-wfroutes-");
  cleanup = ws.cleanup;
  server = await startTestServer({ workspace: ws.dir, allowHosts: [new URL(demo.url).host] }, { rateLimitPerMinute: 0 });
  for (const file of ["price_tag.yaml", "product_tags.yaml"])
    await server.engine.library.add(readWorkflowFile(path.join(REPO, "docs/examples", file)));
});
afterAll(async () => {
  await server.close();
  await demo.close();
  await cleanup();
});

async function finished(id: string) {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
    const r = await call(`${server.url}/runs/${id}`);
    if (r.status === 200 && r.body.finished_at) return r.body;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`run ${id} did not finish`);
}

it("POST /runs runs the README's workflow (an input, a condition, a loop, a sub-workflow) from the library, inputs checked by it", async () => {
  const started = await call(`${server.url}/runs`, "POST", {
    workflow: "product_tags",
    inputs: { source_url: `${demo.url}/products`, min_price: 100 },
    run_id: "srv-tags",
  });
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  const run = await finished("srv-tags");
  expect(run).toMatchObject({ status: "completed", workflow: "product_tags@1.0.0" });
  expect(run.outputs.tags.map((t: { tag: { name: string } }) => t.tag.name)).toEqual([
    "Trail running shoes",
    "Noise-cancelling headphones",
  ]);
  const child = await call(`${server.url}/runs/srv-tags.tag_each_1`);
  expect(child.body).toMatchObject({ status: "completed", parent: { run_id: "srv-tags", task_id: "tag_each#1" } });
  const bad = await call(`${server.url}/runs`, "POST", { workflow: "product_tags", inputs: { min_price: "cheap" } });
  expect(bad.status).toBe(400);
  expect(bad.body.error).toMatchObject({
    code: "INPUT_INVALID",
    message: expect.stringContaining('inputs.min_price: "cheap" is string, but the input "min_price" is number'),
  });
});
