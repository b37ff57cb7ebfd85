import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type DemoApi, startDemoApi } from "../../../src/demo/demo-api.js";
import { REPO, runCli } from "../../fixtures/cli.js";
import { makeTempDir } from "../../fixtures/context.js";

let demo: DemoApi;
let ws: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  demo = await startDemoApi();
});
afterAll(async () => {
  await demo.close();
});
beforeEach(async () => {
  ({ dir: ws, cleanup } = await makeTempDir("wf-wfcli-"));
});
afterEach(async () => {
  await cleanup();
});

const cli = (...args: string[]) => runCli([...args, "--workspace", ws]);
const example = (file: string) => path.join(REPO, "docs/examples", file);

describe("node main.js workflows", () => {
  it("the README's workflow (an input, a condition, a loop, a sub-workflow): add, list, show, run from the CLI, runs show links the child runs", async () => {
    expect(await cli("workflows", "validate", example("product_tags.yaml"))).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('tasks[2].action_config.name: no workflow "price_tag" in the library'),
    });
    expect((await cli("workflows", "add", example("price_tag.yaml"))).stdout).toBe("added price_tag@1.0.0\n");
    expect((await cli("workflows", "add", example("product_tags.yaml"))).stdout).toBe("added product_tags@1.0.0\n");
    expect((await cli("workflows", "add", example("product_tags.yaml"))).stdout).toContain("already in the library (same content)");
    const list = await cli("workflows", "list");
    expect(list.stdout).toMatch(/^product_tags@1\.0\.0 +Fetch the products/m);
    expect(list.stdout).toMatch(/inputs: source_url, \[min_price\], \[output_path\]; versions: 1\.0\.0 \(added\)/);
    expect((await cli("workflows", "show", "price_tag@1.0.0")).stdout).toContain("name: price_tag");
    expect((await cli("workflows", "search", "prices")).stdout).toMatch(/^product_tags@1\.0\.0 {2}\(prices\)/m);

    const host = new URL(demo.url).host;
    const args = [
      "--workflow",
      "product_tags",
      "--input",
      `source_url=${demo.url}/products`,
      "--input",
      "min_price=40",
      "--allow-host",
      host,
    ];
    const run = await cli(...args, "--run-id", "tags-1", "--json");
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({ status: "completed", workflow: "product_tags@1.0.0" });
    expect(out.outputs.tags.map((t: { tag: { name: string } }) => t.tag.name)).toEqual([
      "Trail running shoes",
      "Chef's knife",
      "Cast iron pan",
      "Noise-cancelling headphones",
    ]);
    expect(JSON.parse(await readFile(path.join(ws, "output/tags.json"), "utf8"))).toEqual(out.outputs.tags);
    const shown = await cli("runs", "show", "tags-1");
    expect(shown.stdout).toContain("Workflow file: product_tags@1.0.0");
    expect(shown.stdout).toMatch(/child run tags-1\.tag_each_0 \(runs show tags-1\.tag_each_0\)/);
    const child = await cli("runs", "show", "tags-1.tag_each_0");
    expect(child.stdout).toContain("Parent: run tags-1, task tag_each#0");

    const none = await cli(...args.slice(0, 4), "--input", "min_price=100000", "--allow-host", host, "--json");
    expect(none.code, none.stderr).toBe(0);
    const skipped = JSON.parse(none.stdout);
    expect(skipped.status).toBe("completed");
    expect(skipped.tasks.filter((t: { status: string }) => t.status === "skipped").map((t: { id: string }) => t.id)).toEqual([
      "tag_each",
      "save",
    ]);

    const bad = await cli("--workflow", "product_tags", "--input", "min_price=cheap", "--input", "colour=red");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('inputs.colour: "colour" is not an input of product_tags@1.0.0');
    expect(bad.stderr).toContain('inputs.min_price: "cheap" is string, but the input "min_price" is number');
    expect(bad.stderr).toContain('inputs.source_url: the required input "source_url"');

    expect((await cli("workflows", "remove", "product_tags")).code).toBe(2);
    expect((await cli("workflows", "remove", "product_tags@1.0.0")).stdout).toBe("removed product_tags@1.0.0\n");
    expect((await cli("workflows", "show", "product_tags")).stderr).toContain(
      'Error [WORKFLOW_NOT_FOUND]: No workflow "product_tags" in the library',
    );
  });

  it("suggest writes a workflow file for a sequence seen in 3 runs; the file validates and runs", async () => {
    for (const word of ["alpha", "beta", "gamma"]) {
      const plan = path.join(ws, `${word}.json`);
      await writeFile(
        plan,
        JSON.stringify({
          tasks: [
            { id: "note", action_type: "file_operation", action_config: { operation: "write", path: `notes/${word}.txt`, content: word } },
          ],
        }),
      );
      expect((await cli("--plan", plan)).code).toBe(0);
    }
    const suggested = await cli("workflows", "suggest", "--min-runs", "3", "--json");
    expect(suggested.code, suggested.stderr).toBe(0);
    const [found] = JSON.parse(suggested.stdout);
    expect(found).toMatchObject({ runs: 3, workflow: expect.stringMatching(/^suggested_[0-9a-f]{8}@0\.1\.0$/) });
    expect((await cli("workflows", "validate", found.file)).code).toBe(0);
    expect((await cli("workflows", "add", found.file)).code).toBe(0);
    const name = found.workflow.split("@")[0];
    const run = await cli("--workflow", name, "--input", "note_path=delta", "--input", "note_content=delta");
    expect(run.code, run.stderr).toBe(0);
    expect(await readFile(path.join(ws, "notes/delta.txt"), "utf8")).toBe("delta");
    expect((await cli("workflows", "suggest", "--min-runs", "1")).code).toBe(2);
  });
});
