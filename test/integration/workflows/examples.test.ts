import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { evaluateExpression } from "../../../src/actions/transform-data/evaluate.js";
import { Limits } from "../../../src/model/safety-policy.js";
import { evaluationBounds } from "../../../src/actions/transform-data/run.js";
import { DEMO_CUSTOMERS, DEMO_ORDERS, DEMO_PRODUCTS, type DemoApi, startDemoApi } from "../../../src/demo/demo-api.js";
import type { TaskReport } from "../../../src/engine/result.js";
import { WorkflowEngine } from "../../../src/engine/workflow-engine.js";
import { WorkflowError } from "../../../src/model/errors.js";
import {
  ApiOrchestration,
  apiOrchestrationPlan,
  CSV_EXPRESSION,
  DataPipeline,
  demoApiOrchestration,
  demoDataPipeline,
  EXAMPLES,
  ExampleName,
  runApiOrchestration,
  runDataPipeline,
  runJobExecution,
} from "../../../workflows/index.js";
import { type CliRun, runCli } from "../../fixtures/cli.js";
import { makeTempDir } from "../../fixtures/context.js";

/** The demo's data_pipeline output: in-stock products, price_with_vat, renamed, picked, most expensive first. */
const EXPECTED_CSV = [
  "id,product,category,price,price_with_vat",
  "9,Noise-cancelling headphones,electronics,199,248.75",
  "1,Trail running shoes,sports,129.9,162.38",
  "4,Chef's knife,kitchen,89,111.25",
  "5,Cast iron pan,kitchen,45.75,57.19",
  "6,Desk lamp,office,39.99,49.99",
  "10,USB-C hub,electronics,34.9,43.62",
  "2,Yoga mat,sports,24.5,30.62",
  "12,Water bottle,sports,18,22.5",
  '7,"Notebook, A5 ""dotted""",office,12.5,15.62',
  "",
].join("\n");

const TASKS: Record<ExampleName, string[]> = {
  data_pipeline: ["fetch", "transform", "validate", "write_json", "to_csv", "write_csv"],
  api_orchestration: ["login", "customers", "orders", "save_results"],
  job_execution: ["submit", "monitor", "check", "fetch_result", "store"],
};

interface JsonOutput {
  workflow_id: string;
  status: string;
  tasks: TaskReport[];
}

let ws: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir: ws, cleanup } = await makeTempDir("wf-examples-"));
});
afterEach(async () => {
  await cleanup();
});

function cli(args: string[]): Promise<CliRun> {
  return runCli([...args, "--workspace", ws]);
}

async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await readFile(path.join(ws, file), "utf8"));
}

function task(result: { tasks: TaskReport[] }, id: string): TaskReport {
  const found = result.tasks.find((t) => t.id === id);
  expect(found, `task ${id}`).toBeDefined();
  return found as TaskReport;
}

/** The plain progress lines (stderr is not a TTY): run started, plan ready, each task started and completed, run completed. */
function expectPlainProgress(stderr: string, tasks: string[]): void {
  const id = /^run (wf-[\w-]+) started$/m.exec(stderr)?.[1];
  expect(id, stderr).toBeDefined();
  expect(stderr).toContain(`plan ready: ${tasks.length} tasks (planner: provided)`);
  for (const t of tasks) {
    expect(stderr).toMatch(new RegExp(`^  started   ${t} \\(\\w+\\) attempt 1$`, "m"));
    expect(stderr).toMatch(new RegExp(`^  completed ${t} \\(\\w+\\) in \\d+ ms$`, "m"));
  }
  expect(stderr).toMatch(new RegExp(`^run ${id} completed$`, "m"));
  expect(stderr.includes("\u001b[")).toBe(false); // no escape codes: not the live view
}

/** price * 1.25 through JSONata's `$round(x, 2)`, which rounds half to even (43.625 -> 43.62). */
const PRICE_WITH_VAT: Record<number, number> = {
  9: 248.75,
  1: 162.38,
  4: 111.25,
  5: 57.19,
  6: 49.99,
  10: 43.62,
  2: 30.62,
  12: 22.5,
  7: 15.62,
};

/** The data_pipeline's rows, computed here from the demo's products. */
function expectedRows(): Record<string, unknown>[] {
  return DEMO_PRODUCTS.filter((p) => p.in_stock)
    .map((p) => ({ id: p.id, product: p.name, category: p.category, price: p.price, price_with_vat: PRICE_WITH_VAT[p.id] }))
    .sort((a, b) => b.price - a.price);
}

describe("--example through the CLI (a demo API on loopback per run)", () => {
  it("--example alone lists the three examples, one line each", async () => {
    const run = await cli(["--example"]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    for (const [i, name] of ExampleName.entries())
      expect(lines[i]).toMatch(new RegExp(`^${name} +${EXAMPLES[name].description.slice(0, 20)}`));
    const json = await cli(["--example", "--json"]);
    expect(JSON.parse(json.stdout)).toEqual(ExampleName.map((name) => ({ name, description: EXAMPLES[name].description })));
  });

  it("--example nope exits 2 naming the valid examples, and runs nothing", async () => {
    const run = await cli(["--example", "nope"]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      'Error [CONFIG_INVALID]: Unknown example "nope". The examples are: data_pipeline, api_orchestration, job_execution.\n',
    );
    expect(existsSync(path.join(ws, "output"))).toBe(false);
  });

  it("--example NAME --dry-run prints the plan and runs nothing", async () => {
    const run = await cli(["--example", "data_pipeline", "--dry-run"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("Plan: 6 tasks; nothing was run (--dry-run).");
    expect(run.stderr).not.toContain("demo API listening");
    const plan = JSON.parse(run.stdout) as { tasks: { id: string; action_config: Record<string, unknown> }[] };
    expect(plan.tasks.map((t) => t.id)).toEqual(TASKS.data_pipeline);
    expect(plan.tasks.find((t) => t.id === "to_csv")?.action_config.expression).toBe(CSV_EXPRESSION);
    expect(existsSync(path.join(ws, "output"))).toBe(false);
  });

  it("data_pipeline: completed, plain progress, products.json and a quoted products.csv", async () => {
    const run = await cli(["--example", "data_pipeline"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^demo API listening on http:\/\/127\.0\.0\.1:\d+$/m);
    expectPlainProgress(run.stderr, TASKS.data_pipeline);
    expect(run.stderr).toMatch(/^wrote output\/products\.csv \(\d+ bytes\)$/m);
    expect(run.stdout).toMatch(/^Workflow wf-[\w-]+: completed$/m);
    expect(run.stdout).toMatch(/^Tasks: 6 completed, 0 failed, 0 skipped of 6; retries 0$/m);
    expect(await readJson("output/products.json")).toEqual(expectedRows());
    expect(await readFile(path.join(ws, "output/products.csv"), "utf8")).toBe(EXPECTED_CSV);
  });

  it("api_orchestration: the token from login is sent by the next calls; every answer is stored", async () => {
    const run = await cli(["--example", "api_orchestration"]);
    expect(run.code, run.stderr).toBe(0);
    expectPlainProgress(run.stderr, TASKS.api_orchestration);
    expect(run.stdout).toMatch(/^Workflow wf-[\w-]+: completed$/m);
    const saved = (await readJson("output/api_orchestration.json")) as {
      strategy: string;
      results: Record<string, { status: number; data: unknown }>;
    };
    expect(saved.strategy).toBe("parallel");
    expect(saved.results.login?.data).toMatchObject({ token: expect.stringMatching(/^demo-[0-9a-f]{24}$/), token_type: "Bearer" });
    expect(saved.results.customers).toEqual({ status: 200, data: DEMO_CUSTOMERS });
    expect(saved.results.orders).toEqual({ status: 200, data: DEMO_ORDERS });
  });

  it("job_execution --json: the monitor polled more than once, the job's result is stored", async () => {
    const run = await cli(["--example", "job_execution", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/^(run |plan ready| {2}started|demo API|wrote )/m); // --json: no progress lines
    const out = JSON.parse(run.stdout) as JsonOutput;
    expect(out.status).toBe("completed");
    expect(out.tasks.map((t) => [t.id, t.status])).toEqual(TASKS.job_execution.map((id) => [id, "completed"]));
    const monitor = task(out, "monitor");
    // The library workflow reads its timing from its inputs (the demo's: every 0.5 s, at most 60 s).
    expect(monitor.action_config).toMatchObject({
      until: 'data.status in ["done","failed"]',
      interval: "{{inputs.monitor_interval}}",
      deadline: "{{inputs.timeout}}",
    });
    expect(monitor.result).toMatchObject({ status: 200, polls: 4, data: { status: "done" } });
    const stored = (await readJson("output/job_result.json")) as Record<string, unknown>;
    expect(stored).toMatchObject({ job: { id: "job-1", status: "done" }, polls: 4, result: { job_id: "job-1", type: "inventory_report" } });
    expect(stored.result).toMatchObject({ report: { totals: { products: 12, in_stock: 9 } } });
  });

  it("job_execution plain: progress lines and the summary say completed", async () => {
    const run = await cli(["--example", "job_execution"]);
    expect(run.code, run.stderr).toBe(0);
    expectPlainProgress(run.stderr, TASKS.job_execution);
    expect(run.stdout).toMatch(/^Workflow wf-[\w-]+: completed$/m);
    expect(await readJson("output/job_result.json")).toMatchObject({ polls: 4 });
  });

  describe("--source URL", () => {
    let api: DemoApi;
    beforeAll(async () => {
      api = await startDemoApi();
    });
    afterAll(async () => {
      await api.close();
    });

    it("runs against that API and starts no demo API of its own", async () => {
      const run = await cli(["--example", "job_execution", "--source", `${api.url}/`]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).not.toContain("demo API listening");
      expectPlainProgress(run.stderr, TASKS.job_execution);
      // The job was created on the API started here: it knows it, and it is done.
      const job = (await (await fetch(`${api.url}/jobs/job-1`)).json()) as { status: string; polls: number };
      expect(job).toMatchObject({ status: "done", polls: 5 });
    });

    it("a --source that is not an http(s) URL exits 2", async () => {
      const run = await cli(["--example", "data_pipeline", "--source", "ftp://127.0.0.1/x"]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("Error [CONFIG_INVALID]: --source must be an http(s) URL");
    });
  });
});

describe("the workflows through the API, against the demo API", () => {
  let api: DemoApi;
  let engine: WorkflowEngine;
  beforeAll(async () => {
    api = await startDemoApi();
  });
  afterAll(async () => {
    await api.close();
  });
  beforeEach(() => {
    engine = new WorkflowEngine({ workspace: ws, planner: "rules", advisor: null, env: {}, persist: "memory" });
  });
  afterEach(async () => {
    await engine.close();
  });

  it("runDataPipeline: filter, rename, pick, sort and a derived field to a .json destination", async () => {
    const result = await runDataPipeline(engine, {
      sourceUrl: `${api.url}/products`,
      destinationPath: "out/kitchen.json",
      transformations: [
        { op: "filter", field: "category", value: "kitchen" },
        { op: "map", fields: { label: 'name & " (" & $string(price) & ")"' } },
        { op: "rename", fields: { in_stock: "available" } },
        { op: "pick", fields: ["id", "label", "available"] },
        { op: "sort", by: "id", order: "desc" },
      ],
    });
    expect(result.status).toBe("completed");
    expect(result.tasks.map((t) => t.id)).toEqual(["fetch", "transform", "validate", "write_json"]);
    expect(await readJson("out/kitchen.json")).toEqual([
      { id: 5, label: "Cast iron pan (45.75)", available: true },
      { id: 4, label: "Chef's knife (89)", available: true },
      { id: 3, label: "Espresso machine (349)", available: false },
    ]);
  });

  it("DataPipeline (the class) with a .csv destination writes the CSV and the JSON beside it", async () => {
    const result = await new DataPipeline(engine).run(demoDataPipeline(api.url));
    expect(result.status).toBe("completed");
    expect(await readFile(path.join(ws, "output/products.csv"), "utf8")).toBe(EXPECTED_CSV);
    expect(await readJson("output/products.json")).toEqual(expectedRows());
  });

  it("invalid data fails the validate step with a clear error; nothing is written", async () => {
    const result = await runDataPipeline(engine, {
      sourceUrl: `${api.url}/products`,
      destinationPath: "out/bad.csv",
      transformations: [{ op: "limit", count: 3 }],
      requiredFields: ["id", "discount"],
    });
    expect(result.status).toBe("failed");
    const validate = task(result, "validate");
    expect(validate.status).toBe("failed");
    expect(validate.error?.code).toBe("TRANSFORM_ERROR");
    expect(validate.error?.message).toContain("validation failed: 3 of 3 rows are invalid; row 1 lacks discount (required: id, discount)");
    for (const id of ["write_json", "to_csv", "write_csv"]) expect(task(result, id).status).toBe("skipped");
    expect(existsSync(path.join(ws, "out"))).toBe(false);
  });

  it("bad input is CONFIG_INVALID naming the field, before anything runs", async () => {
    const run = runDataPipeline(engine, { sourceUrl: "not a url", destinationPath: "" });
    await expect(run).rejects.toThrow(WorkflowError);
    await expect(run).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      message: "data_pipeline: invalid input: sourceUrl: sourceUrl must be an http(s) URL; destinationPath: destinationPath is required.",
    });
  });

  it("runApiOrchestration sequential: each call waits for the one before it, and the token feeds the next calls", async () => {
    const input = { ...demoApiOrchestration(api.url), strategy: "sequential" as const, outputPath: "out/seq.json" };
    const result = await runApiOrchestration(engine, input);
    expect(result.status).toBe("completed");
    expect(result.tasks.map((t) => [t.id, t.dependencies])).toEqual([
      ["login", []],
      ["customers", ["login"]],
      ["orders", ["customers", "login"]],
      ["save_results", ["login", "customers", "orders"]],
    ]);
    expect(task(result, "orders").result).toMatchObject({ status: 200, data: DEMO_ORDERS });
  });

  it("ApiOrchestration parallel: calls depend only on what they name; without the token the API answers 401", async () => {
    const plan = apiOrchestrationPlan(demoApiOrchestration(api.url));
    expect(plan.tasks.map((t) => [t.id, t.dependencies])).toEqual([
      ["login", []],
      ["customers", ["login"]],
      ["orders", ["login"]],
      ["save_results", undefined], // implied by its references when the plan is validated
    ]);
    const result = await new ApiOrchestration(engine).run({ apiCalls: [{ name: "orders", url: `${api.url}/orders` }] });
    expect(result.status).toBe("failed");
    expect(task(result, "orders").error).toMatchObject({ code: "HTTP_STATUS", retryable: false });
    expect(task(result, "orders").error?.message).toContain("answered 401");
  });

  it("api_orchestration refuses a depends_on that names no call", () => {
    const call = () => apiOrchestrationPlan({ apiCalls: [{ name: "a", url: `${api.url}/products`, depends_on: "b" }] });
    expect(call).toThrow('api_orchestration: invalid input: apiCalls.0.depends_on: "b" is not a call (the calls: a).');
  });

  it("runJobExecution: polls until done (polls > 1) through the engine's until, stores the result", async () => {
    const result = await runJobExecution(engine, {
      apiUrl: api.url,
      jobConfig: { type: "inventory_report" },
      monitorInterval: 0.05,
      timeout: 10,
    });
    expect(result.status).toBe("completed");
    const monitor = task(result, "monitor").result as { polls: number; data: { status: string } };
    expect(monitor.polls).toBeGreaterThan(1);
    expect(monitor.data.status).toBe("done");
    expect(await readJson("output/job_result.json")).toMatchObject({
      polls: monitor.polls,
      result: { report: { totals: { products: 12 } } },
    });
  });

  it("a job that fails fails the run at check, naming the job and its error; no result is fetched", async () => {
    const result = await runJobExecution(engine, { apiUrl: api.url, jobConfig: { fail: true }, monitorInterval: 0.05, timeout: 10 });
    expect(result.status).toBe("failed");
    expect(task(result, "check").error?.message).toMatch(/job job-\d+ ended with status failed: the job was asked to fail/);
    expect(task(result, "fetch_result").status).toBe("skipped");
    expect(existsSync(path.join(ws, "output/job_result.json"))).toBe(false);
  });

  it("a job that outlasts the timeout fails with POLL_DEADLINE", async () => {
    const result = await runJobExecution(engine, { apiUrl: api.url, monitorInterval: 0.2, timeout: 0.3 });
    expect(result.status).toBe("failed");
    expect(task(result, "monitor").error).toMatchObject({ code: "POLL_DEADLINE", retryable: false });
  });
});

describe("CSV rendering (the to_csv expression)", () => {
  it("quotes commas, quotes and line breaks; nulls and missing fields are empty; columns in first-seen order", async () => {
    const rows = [
      { a: 1, b: 'say "hi", then go', c: null },
      { a: 2, b: "two\nlines", d: true },
      { a: 3, b: "plain", c: [1, 2] },
    ];
    const bounds = evaluationBounds(Limits.parse({}), new AbortController().signal);
    expect(await evaluateExpression(CSV_EXPRESSION, rows, bounds)).toBe(
      ["a,b,c,d", '1,"say ""hi"", then go",,', '2,"two\nlines",,true', '3,plain,"[1,2]",', ""].join("\n"),
    );
    expect(await evaluateExpression(CSV_EXPRESSION, [], bounds)).toBe("");
  });
});

describe("the demo API", () => {
  it("needs the bearer token for orders, and close() does not hang on an open keep-alive connection", async () => {
    const api = await startDemoApi();
    expect((await fetch(`${api.url}/orders`)).status).toBe(401);
    const login = await fetch(`${api.url}/auth/login`, { method: "POST", body: JSON.stringify({ username: "demo", password: "demo" }) });
    const { token } = (await login.json()) as { token: string };
    const orders = await fetch(`${api.url}/orders`, { headers: { Authorization: `Bearer ${token}` } });
    expect(await orders.json()).toEqual(DEMO_ORDERS);
    const started = performance.now();
    await api.close();
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
