import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunMetrics } from "../../../src/engine/result.js";
import type { TaskSpecInput } from "../../../src/model/plan-schema.js";
import { validatePlan } from "../../../src/plan/validate.js";
import { type ApiFixture, startApiFixture } from "../../fixtures/api-server.js";
import { type CliRun, runCli } from "../../fixtures/cli.js";
import { makeTempDir } from "../../fixtures/context.js";

/** A task of the `--json` output. */
interface JsonTask {
  id: string;
  action_type: string;
  action_config: Record<string, unknown>;
  dependencies: string[];
  status: string;
  attempts: number;
  result?: unknown;
  error?: { code: string; message: string; retryable: boolean };
  skip_reason?: string;
  duration_ms?: number;
}

interface JsonOutput {
  workflow_id: string;
  status: string;
  planner?: string;
  error?: { code: string; message: string };
  tasks: JsonTask[];
  metrics: RunMetrics;
}

const GUARD_FILE = "out/guard.txt";

let api: ApiFixture;
let root: string;
let ws: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  api = await startApiFixture();
});
afterAll(async () => {
  await api.close();
});
beforeEach(async () => {
  ({ dir: root, cleanup } = await makeTempDir("wf-cli-"));
  ws = path.join(root, "ws");
  await mkdir(ws);
});
afterEach(async () => {
  await cleanup();
});

/** Write a plan file next to (not inside) the workspace; YAML when the name says so. */
async function planFile(name: string, content: unknown): Promise<string> {
  const file = path.join(root, name);
  await writeFile(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

/** Two tasks that leave traces if anything runs: a file write and a request to the fixture. */
function guardTasks(): TaskSpecInput[] {
  return [
    { id: "guard_write", action_type: "file_operation", action_config: { operation: "write", path: GUARD_FILE, content: "ran" } },
    { id: "guard_call", action_type: "api_call", action_config: { method: "GET", url: `${api.url}/status` } },
  ];
}

function cli(args: string[], env?: Record<string, string | undefined>): Promise<CliRun> {
  return runCli(["--workspace", ws, ...args], env ? { env } : {});
}

function parseJson(run: CliRun): JsonOutput {
  const lines = run.stdout.trim().split("\n");
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0] as string) as JsonOutput;
}

function task(out: JsonOutput, id: string): JsonTask {
  const found = out.tasks.find((t) => t.id === id);
  expect(found, `task ${id} in the output`).toBeDefined();
  return found as JsonTask;
}

describe("invalid plans exit 2 before anything runs", () => {
  it("control: the guard tasks do leave traces when the plan is valid", async () => {
    const file = await planFile("plan.json", { tasks: guardTasks() });
    const run = await cli(["--plan", file, "--quiet"]);
    expect(run.code).toBe(0);
    expect(await readFile(path.join(ws, GUARD_FILE), "utf8")).toBe("ran");
    expect(api.requests.filter((r) => r.path === "/status")).toHaveLength(1);
  });

  const cases: [string, TaskSpecInput[], string, RegExp[]][] = [
    [
      "a dependency cycle",
      [
        { id: "load", action_type: "wait", action_config: { ms: 1 }, dependencies: ["save"] },
        { id: "save", action_type: "wait", action_config: { ms: 1 }, dependencies: ["load"] },
      ],
      "PLAN_CYCLE",
      [/tasks: dependency cycle: (load -> save -> load|save -> load -> save) \(a task cannot wait for itself\)/],
    ],
    [
      "an unknown dependency",
      [{ id: "late", action_type: "wait", action_config: { ms: 1 }, dependencies: ["ghost"] }],
      "PLAN_INVALID",
      [/tasks\[2\]\.dependencies: task "late" depends on unknown task "ghost"/],
    ],
    [
      "a duplicate id",
      [
        { id: "twin", action_type: "wait", action_config: { ms: 1 } },
        { id: "twin", action_type: "wait", action_config: { ms: 2 } },
      ],
      "PLAN_INVALID",
      [/tasks\[3\]\.id: duplicate task id "twin"/],
    ],
    [
      "an unknown action type",
      [{ id: "mail", action_type: "send_email" as "wait", action_config: { to: "a@b.c" } }],
      "PLAN_INVALID",
      [/tasks\[2\]\.action_type: "send_email" is not one of api_call, db_query, file_operation, transform_data, wait/],
    ],
    [
      "a file write without content",
      [{ id: "write2", action_type: "file_operation", action_config: { operation: "write", path: "out/other.txt" } }],
      "PLAN_INVALID",
      [/tasks\[2\]\.action_config\.content: content is required for write \(file_operation "write2"\)/],
    ],
    [
      "an api_call with method FETCH",
      [{ id: "fetch2", action_type: "api_call", action_config: { method: "FETCH", url: "API/users" } }],
      "PLAN_INVALID",
      [/tasks\[2\]\.action_config\.method: "FETCH" is not one of GET, POST, PUT, PATCH, DELETE \(api_call "fetch2"\)/],
    ],
  ];

  it.each(cases)("%s", async (_name, extra, code, messages) => {
    const withApi = JSON.parse(JSON.stringify(extra).replaceAll('"API/', `"${api.url}/`)) as TaskSpecInput[];
    const file = await planFile("plan.json", { tasks: [...guardTasks(), ...withApi] });
    const before = api.requests.length;
    const run = await cli(["--plan", file]);

    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr.startsWith(`Error [${code}]: The plan is invalid:\n`)).toBe(true);
    for (const message of messages) expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain("Fix the plan (or the goal) and run again.");
    // Nothing ran: not even the valid tasks, and no progress line was printed.
    expect(run.stderr).not.toMatch(/started/);
    expect(existsSync(path.join(ws, GUARD_FILE))).toBe(false);
    expect(await readdir(ws)).toEqual([]);
    expect(api.requests.length).toBe(before);
  });
});

describe("plan files", () => {
  it("a malformed JSON plan exits 2 with PLAN_INVALID naming the file", async () => {
    const file = await planFile("broken.json", '{"tasks": [ {"id": "a", ');
    const run = await cli(["--plan", file]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(new RegExp(`^Error \\[PLAN_INVALID\\]: The plan file "${file.replaceAll("/", "\\/")}" is not valid JSON: `));
    expect(run.stderr).toContain("Fix it (or use a .yaml name for YAML).");
  });

  it("a missing plan file exits 2 with CONFIG_INVALID", async () => {
    const file = path.join(root, "nowhere.json");
    const run = await cli(["--plan", file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`Error [CONFIG_INVALID]: Cannot read the plan file "${file}": ENOENT`);
  });

  it("a malformed YAML plan exits 2 saying it is not valid YAML", async () => {
    const file = await planFile("broken.yaml", "tasks:\n  - id: a\n   action_type: [wait\n");
    const run = await cli(["--plan", file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`Error [PLAN_INVALID]: The plan file "${file}" is not valid YAML: `);
  });

  it("a valid YAML plan runs and completes", async () => {
    const yaml = [
      "tasks:",
      "  - id: status",
      "    action_type: api_call",
      `    action_config: { url: "${api.url}/status" }`,
      "  - id: save",
      "    action_type: file_operation",
      "    action_config:",
      "      operation: write",
      "      path: out/version.txt",
      '      content: "version {{status.data.version}}"',
      "",
    ].join("\n");
    const file = await planFile("plan.yml", yaml);
    const run = await cli(["--plan", file, "--json"]);
    expect(run.code).toBe(0);
    const out = parseJson(run);
    expect(out.status).toBe("completed");
    expect(task(out, "save").dependencies).toEqual(["status"]);
    expect(await readFile(path.join(ws, "out/version.txt"), "utf8")).toBe("version 1.4.2");
  });
});

describe("flags", () => {
  it.each([
    [
      "an unknown flag",
      ["--goal", "Delete output/x.txt", "--frobnicate"],
      /^Error \[CONFIG_INVALID\]: Unknown argument: frobnicate\. Run with --help for the options\.\n$/,
    ],
    [
      "--concurrency 0",
      ["--plan", "PLAN", "--concurrency", "0"],
      /^Error \[CONFIG_INVALID\]: --concurrency must be at least 1 \(given 0\)\. Run with --help for the options\.\n$/,
    ],
    [
      "--concurrency 1.5",
      ["--plan", "PLAN", "--concurrency", "1.5"],
      /^Error \[CONFIG_INVALID\]: --concurrency must be a whole number \(given 1\.5\)\. Run with --help/,
    ],
    [
      "--goal together with --plan",
      ["--goal", "Delete output/x.txt", "--plan", "PLAN"],
      /^Error \[CONFIG_INVALID\]: give exactly one of --goal "\.\.\.", --plan FILE, --example NAME or --workflow NAME\. Run with --help/,
    ],
    [
      "no goal at all",
      [],
      /^Error \[CONFIG_INVALID\]: give exactly one of --goal "\.\.\.", --plan FILE, --example NAME or --workflow NAME\. Run with --help/,
    ],
    ["a --var without =", ["--plan", "PLAN", "--var", "novalue"], /^Error \[CONFIG_INVALID\]: --var "novalue" is not name=value/],
    [
      "a bad --run-id",
      ["--plan", "PLAN", "--run-id", "no spaces allowed"],
      /^Error \[CONFIG_INVALID\]: --run-id takes letters, digits, \. _ : - \(max 128\)/,
    ],
    [
      "an unknown --planner",
      ["--plan", "PLAN", "--planner", "magic"],
      /^Error \[CONFIG_INVALID\]: Invalid values:\n\s+Argument: planner, Given: "magic", Choices: "auto", "llm", "rules"/,
    ],
  ])("%s exits 2 with a clear message and runs nothing", async (_name, args, message) => {
    const file = await planFile("plan.json", { tasks: guardTasks() });
    const before = api.requests.length;
    const run = await cli(args.map((a) => (a === "PLAN" ? file : a)));
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(message);
    expect(existsSync(path.join(ws, GUARD_FILE))).toBe(false);
    expect(api.requests.length).toBe(before);
  });

  it("--help exits 0 and prints the usage with examples on stdout", async () => {
    const run = await runCli(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain('node main.js --goal "..." | --plan FILE | --example NAME | --workflow NAME [--input k=v] [options]');
    for (const flag of [
      "--goal",
      "--plan",
      "--dry-run",
      "--json",
      "--quiet",
      "--workspace",
      "--concurrency",
      "--var",
      "--planner",
      "--log-level",
      "--run-id",
    ]) {
      expect(run.stdout).toContain(flag);
    }
    expect(run.stdout).toContain("Examples:");
    expect(run.stdout).toContain("node main.js --plan plan.yaml --var user_id=3");
    expect(run.stdout).toContain("Print the plan and its graph; run nothing");
  });
});

describe("goals the rule planner does not understand", () => {
  it("exit 2, say what was not understood, suggest OPENAI_API_KEY and --plan, and write nothing", async () => {
    const before = api.requests.length;
    const run = await cli(["--goal", "Frobnicate the widgets"]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(
      'Error [GOAL_NOT_UNDERSTOOD]: The offline rule-based planner could not understand the goal "Frobnicate the widgets".',
    );
    expect(run.stderr).toContain('It did not understand:\n  - "Frobnicate the widgets"');
    expect(run.stderr).toContain("Nothing was run.");
    expect(run.stderr).toContain("set OPENAI_API_KEY");
    expect(run.stderr).toContain("pass it with --plan FILE");
    expect(await readdir(ws)).toEqual([]);
    expect(api.requests.length).toBe(before);
  });
});

describe("--dry-run", () => {
  it("prints the plan JSON on stdout and runs nothing", async () => {
    const goal = `Fetch ${api.url}/users and save to output/users.json`;
    const before = api.requests.length;
    const run = await cli(["--goal", goal, "--dry-run"]);
    expect(run.code).toBe(0);
    const plan = JSON.parse(run.stdout) as { goal: string; tasks: TaskSpecInput[] };
    expect(() => validatePlan(plan)).not.toThrow();
    expect(plan.goal).toBe(goal);
    expect(plan.tasks.map((t) => [t.action_type, t.action_config])).toEqual([
      ["api_call", { method: "GET", url: `${api.url}/users` }],
      ["file_operation", { operation: "write", path: "output/users.json", content: `{{${plan.tasks[0]?.id}.data}}` }],
    ]);
    expect(run.stderr).toContain("Plan: 2 tasks; nothing was run (--dry-run).");
    expect(run.stderr).toContain("flowchart TD");
    expect(existsSync(path.join(ws, "output/users.json"))).toBe(false);
    expect(await readdir(ws)).toEqual([]);
    expect(api.requests.length).toBe(before);
  });

  it("with --json prints one object {plan, graph} whose graph is a Mermaid flowchart of the plan", async () => {
    const file = await planFile("plan.json", {
      tasks: [...guardTasks(), { id: "after", action_type: "wait", action_config: { ms: 1 }, dependencies: ["guard_write", "guard_call"] }],
    });
    const before = api.requests.length;
    const run = await cli(["--plan", file, "--dry-run", "--json"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(run.stdout.trim().split("\n")).toHaveLength(1);
    const out = JSON.parse(run.stdout) as { plan: { tasks: TaskSpecInput[] }; graph: string };
    expect(Object.keys(out).sort()).toEqual(["graph", "plan"]);
    expect(() => validatePlan(out.plan)).not.toThrow();
    expect(out.plan.tasks.map((t) => t.id)).toEqual(["guard_write", "guard_call", "after"]);
    expect(out.graph.startsWith("flowchart TD\n")).toBe(true);
    expect(out.graph).toContain("  guard_write --> after");
    expect(out.graph).toContain("  guard_call --> after");
    expect(existsSync(path.join(ws, GUARD_FILE))).toBe(false);
    expect(api.requests.length).toBe(before);
  });
});

describe("output", () => {
  function countPlan() {
    return {
      tasks: [
        { id: "fetch_users", action_type: "api_call", action_config: { url: `${api.url}/users` } },
        { id: "count", action_type: "transform_data", action_config: { input: "{{fetch_users.data}}", operations: [{ op: "count" }] } },
        {
          id: "save",
          action_type: "file_operation",
          action_config: { operation: "write", path: "out/count.json", content: "{{count.data}}" },
        },
      ],
    };
  }

  it("--json prints exactly one JSON object with the documented fields and values", async () => {
    const file = await planFile("plan.json", countPlan());
    const run = await cli(["--plan", file, "--json"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    const out = parseJson(run);
    expect(out.workflow_id).toMatch(/^wf-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(out.status).toBe("completed");
    expect(out.planner).toBe("provided");
    expect(out.error).toBeUndefined();
    expect(out.tasks.map((t) => t.id)).toEqual(["fetch_users", "count", "save"]);
    for (const t of out.tasks) {
      expect(t).toMatchObject({ status: "completed", attempts: 1 });
      expect(t.error).toBeUndefined();
      expect(t.duration_ms).toBeGreaterThanOrEqual(0);
    }
    const fetch = task(out, "fetch_users");
    expect(fetch.action_type).toBe("api_call");
    expect(fetch.action_config).toEqual({ url: `${api.url}/users` });
    expect(fetch.dependencies).toEqual([]);
    expect(fetch.result).toMatchObject({ status: 200, data: expect.any(Array) });
    expect((fetch.result as { data: unknown[] }).data).toHaveLength(10);
    const count = task(out, "count");
    expect(count.action_config).toEqual({ input: "{{fetch_users.data}}", operations: [{ op: "count" }] });
    expect(count.dependencies).toEqual(["fetch_users"]);
    expect(count.result).toEqual({ data: 10 });
    expect(task(out, "save")).toMatchObject({
      action_type: "file_operation",
      dependencies: ["count"],
      result: { path: "out/count.json", bytes_written: 3 },
    });
    expect(await readFile(path.join(ws, "out/count.json"), "utf8")).toBe("10\n");

    const m = out.metrics;
    expect(m).toMatchObject({
      tasks_total: 3,
      tasks_completed: 3,
      tasks_failed: 0,
      tasks_skipped: 0,
      retries: 0,
      llm_calls: 0,
      llm_tokens: 0,
    });
    expect(m.task_time_ms).toBe(out.tasks.reduce((sum, t) => sum + (t.duration_ms ?? 0), 0));
    expect(m.critical_path_ms).toBe(m.task_time_ms); // a chain: the critical path is every task
    expect(m.wall_ms).toBeGreaterThanOrEqual(m.critical_path_ms);
    expect(m.parallel_speedup).toBe(m.wall_ms > 0 ? Math.round((m.task_time_ms / m.wall_ms) * 100) / 100 : 0);
  });

  it("without --json, progress lines go to stderr and the summary to stdout", async () => {
    const file = await planFile("plan.json", countPlan());
    const run = await cli(["--plan", file, "--run-id", "progress-1"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^run progress-1 started$/m);
    expect(run.stderr).toMatch(/^plan ready: 3 tasks \(planner: provided\)$/m);
    expect(run.stderr).toMatch(/^ {2}started {3}fetch_users \(api_call\) attempt 1$/m);
    expect(run.stderr).toMatch(/^ {2}completed fetch_users \(api_call\) in \d+ ms$/m);
    expect(run.stderr).toMatch(/^ {2}completed save \(file_operation\) in \d+ ms$/m);
    expect(run.stderr).toMatch(/^run progress-1 completed$/m);
    expect(run.stderr.indexOf("completed fetch_users")).toBeLessThan(run.stderr.indexOf("started   count"));
    expect(run.stdout).toMatch(/^Workflow progress-1: completed\n/);
    expect(run.stdout).toContain("Tasks: 3 completed, 0 failed, 0 skipped of 3; retries 0");
    expect(run.stdout).toMatch(/^ {2}completed count {14}transform_data \{"data":10\}$/m);
    expect(run.stdout).not.toMatch(/started/);
  });

  it("--quiet prints no progress lines, only the summary", async () => {
    const file = await planFile("plan.json", countPlan());
    const run = await cli(["--plan", file, "--quiet"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(run.stdout).toMatch(/^Workflow wf-[0-9a-f-]{36}: completed\n/);
  });
});

describe("--var", () => {
  it("makes variables readable as {{name}}; JSON values keep their type", async () => {
    const file = await planFile(
      "plan.yaml",
      [
        "tasks:",
        "  - id: note",
        "    action_type: file_operation",
        '    action_config: { operation: write, path: "out/{{name}}.txt", content: "count={{n}}; owner={{owner.name}}" }',
        "  - id: next",
        "    action_type: transform_data",
        '    action_config: { input: "{{n}}", expression: "$ + 1" }',
        "  - id: kind",
        "    action_type: transform_data",
        '    action_config: { input: { n: "{{n}}", flag: "{{flag}}", label: "{{name}}" }, expression: "[$type(n), $type(flag), $type(label)]" }',
        "",
      ].join("\n"),
    );
    const run = await cli([
      "--plan",
      file,
      "--json",
      "--var",
      "name=report",
      "--var",
      "n=41",
      "--var",
      "flag=true",
      "--var",
      'owner={"name":"Ada"}',
    ]);
    expect(run.code).toBe(0);
    const out = parseJson(run);
    expect(await readFile(path.join(ws, "out/report.txt"), "utf8")).toBe("count=41; owner=Ada");
    expect(task(out, "note").result).toEqual({ path: "out/report.txt", bytes_written: 19 });
    expect(task(out, "next").result).toEqual({ data: 42 });
    expect(task(out, "kind").result).toEqual({ data: ["number", "boolean", "string"] });
  });

  it("a reference to a variable that was not given is a plan error (exit 2)", async () => {
    const file = await planFile("plan.json", {
      tasks: [
        ...guardTasks(),
        { id: "w", action_type: "file_operation", action_config: { operation: "write", path: "{{where}}", content: "x" } },
      ],
    });
    const run = await cli(["--plan", file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('tasks[2].action_config: {{where}} refers to unknown task or variable "where"');
    expect(existsSync(path.join(ws, GUARD_FILE))).toBe(false);
  });
});

describe("exit codes of runs", () => {
  function failingPlan(onFailure?: "skip") {
    return {
      tasks: [
        {
          id: "get",
          action_type: "api_call",
          action_config: { url: `${api.url}/fail/404` },
          ...(onFailure ? { on_failure: onFailure } : {}),
        },
        { id: "save", action_type: "file_operation", action_config: { operation: "write", path: "out/got.json", content: "{{get.data}}" } },
        { id: "other", action_type: "wait", action_config: { ms: 1 } },
      ],
    };
  }

  it("a failed run exits 1 and reports HTTP_STATUS (--json)", async () => {
    const file = await planFile("plan.json", failingPlan());
    const run = await cli(["--plan", file, "--json"]);
    expect(run.code).toBe(1);
    const out = parseJson(run);
    expect(out.status).toBe("failed");
    expect(out.error?.code).toBe("HTTP_STATUS");
    expect(out.error?.message).toMatch(new RegExp(`^GET ${api.url}/fail/404 answered 404 Not Found`));
    expect(task(out, "get")).toMatchObject({ status: "failed", attempts: 1, error: { code: "HTTP_STATUS", retryable: false } });
    expect(task(out, "save")).toMatchObject({ status: "skipped", attempts: 0 });
    expect(out.metrics).toMatchObject({ tasks_failed: 1, tasks_skipped: 1 });
    expect(existsSync(path.join(ws, "out/got.json"))).toBe(false);
  });

  it("a failed run exits 1 and prints the error code in the summary", async () => {
    const file = await planFile("plan.json", failingPlan());
    const run = await cli(["--plan", file, "--run-id", "fails-1"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^Workflow fails-1: failed\n/);
    expect(run.stdout).toMatch(/^ {2}failed {4}get {16}api_call {7}HTTP_STATUS: GET /m);
    expect(run.stdout).toMatch(/^Error: HTTP_STATUS: GET .*\/fail\/404 answered 404/m);
    expect(run.stderr).toMatch(/^ {2}failed {4}get \(api_call\) attempt 1: HTTP_STATUS /m);
    expect(run.stderr).toMatch(/^run fails-1 failed$/m);
  });

  it("completed_with_errors (on_failure: skip) exits 1 and names the skipped task", async () => {
    const file = await planFile("plan.json", failingPlan("skip"));
    const run = await cli(["--plan", file, "--json"]);
    expect(run.code).toBe(1);
    const out = parseJson(run);
    expect(out.status).toBe("completed_with_errors");
    expect(task(out, "get")).toMatchObject({ status: "skipped", attempts: 1, error: { code: "HTTP_STATUS" } });
    expect(task(out, "get").skip_reason).toMatch(/^skipped after failing \(on_failure is skip: GET .* answered 404/);
    expect(task(out, "save")).toMatchObject({ status: "skipped", attempts: 0, skip_reason: 'dependency "get" was skipped' });
    expect(task(out, "other")).toMatchObject({ status: "completed", attempts: 1 });
    expect(out.metrics).toMatchObject({ tasks_total: 3, tasks_completed: 1, tasks_failed: 0, tasks_skipped: 2 });
  });
});

describe("--run-id", () => {
  it("sets the workflow id", async () => {
    const file = await planFile("plan.json", { tasks: [{ id: "w", action_type: "wait", action_config: { ms: 1 } }] });
    const run = await cli(["--plan", file, "--json", "--run-id", "nightly-2024.01:a_b"]);
    expect(run.code).toBe(0);
    expect(parseJson(run).workflow_id).toBe("nightly-2024.01:a_b");
  });
});

describe("--graph", () => {
  const graphPlan = (): TaskSpecInput[] => [
    { id: "first", action_type: "wait", action_config: { ms: 1 } },
    {
      id: "broken",
      action_type: "file_operation",
      action_config: { operation: "read", path: "missing.txt" },
      dependencies: ["first"],
      on_failure: "skip",
    },
    { id: "after", action_type: "wait", action_config: { ms: 1 }, dependencies: ["broken"] },
  ];

  it("--dry-run --graph dot prints only the DAG and runs nothing", async () => {
    const file = await planFile("graph-dry.json", { tasks: graphPlan() });
    const run = await cli(["--plan", file, "--dry-run", "--graph", "dot"]);
    expect(run.code).toBe(0);
    expect(run.stdout.startsWith("digraph workflow {")).toBe(true);
    expect(run.stdout).toContain('"first" -> "broken";');
    expect(run.stdout).not.toContain('fillcolor="#c8f7c5"');
  });

  it("after a run, the mermaid graph is coloured by each task's status (and --json carries it)", async () => {
    const file = await planFile("graph-run.json", { tasks: graphPlan() });
    const run = await cli(["--plan", file, "--graph", "mermaid", "--quiet"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("class first completed");
    expect(run.stdout).toContain("class broken skipped");
    expect(run.stdout).toContain("class after skipped");
    const json = await cli(["--plan", file, "--graph", "mermaid", "--json"]);
    const out = JSON.parse(json.stdout) as { graph: string };
    expect(out.graph.startsWith("flowchart TD")).toBe(true);
    expect(out.graph).toContain("class first completed");
  });
});
