import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WorkflowEngine } from "../../../src/engine/workflow-engine.js";
import { ErrorCode, WorkflowError } from "../../../src/model/errors.js";
import type { PlanInput } from "../../../src/model/plan-schema.js";
import { runCli } from "../../fixtures/cli.js";
import { makeTempDir } from "../../fixtures/context.js";
import { type RecordsApi, startRecordsApi } from "../../fixtures/records-api.js";

let api: RecordsApi;
beforeAll(async () => {
  api = await startRecordsApi();
});
afterAll(() => api.close());

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function workspace(): Promise<string> {
  const { dir, cleanup } = await makeTempDir("wf-rollback-");
  cleanups.push(cleanup);
  await writeFile(path.join(dir, "existing.txt"), "the original\n");
  return dir;
}

function engine(ws: string): WorkflowEngine {
  const e = new WorkflowEngine({ workspace: ws, allowHosts: ["127.0.0.1"], env: {} });
  cleanups.push(() => e.close());
  return e;
}

/** Create a record, overwrite one file and write a new one, then call something that fails. */
function scenario(failing = "/broken", deleteUrl = `${api.url}/records/{{self.data.id}}`): PlanInput {
  return {
    tasks: [
      {
        id: "create",
        action_type: "api_call",
        action_config: { method: "POST", url: `${api.url}/records`, body: { name: "a" } },
        compensate: { action_type: "api_call", action_config: { method: "DELETE", url: deleteUrl } },
        retry: { max_attempts: 2, backoff_ms: 0 },
      },
      {
        id: "overwrite",
        action_type: "file_operation",
        action_config: { operation: "write", path: "existing.txt", content: "changed by the run\n" },
        dependencies: ["create"],
      },
      {
        id: "add",
        action_type: "file_operation",
        action_config: { operation: "write", path: "out/new.txt", content: "{{create.data.id}}" },
      },
      {
        id: "fails",
        action_type: "api_call",
        action_config: { url: `${api.url}${failing}` },
        dependencies: ["overwrite", "add"],
        retry: { max_attempts: 1 },
      },
    ],
  };
}

describe("rollback of a failed run", () => {
  it("--rollback deletes the record, restores the overwritten file and removes the new one: rolled_back", async () => {
    const ws = await workspace();
    const file = path.join(ws, "plan.json");
    await writeFile(file, JSON.stringify(scenario()));
    const before = api.records().length;
    const run = await runCli([
      "--plan",
      file,
      "--workspace",
      ws,
      "--allow-host",
      "127.0.0.1",
      "--rollback",
      "--json",
      "--run-id",
      "rb-cli",
    ]);
    expect(run.code, run.stderr).toBe(1);
    const result = JSON.parse(run.stdout) as { status: string; error: { code: string }; tasks: { id: string; status: string }[] };
    expect(result.status).toBe("rolled_back");
    expect(result.error.code).toBe("HTTP_STATUS");
    expect(Object.fromEntries(result.tasks.map((t) => [t.id, t.status]))).toEqual({
      create: "completed",
      overwrite: "completed",
      add: "completed",
      fails: "failed",
      "undo:create": "completed",
      "undo:overwrite": "completed",
      "undo:add": "completed",
    });
    expect(api.records().length).toBe(before);
    expect(await readFile(path.join(ws, "existing.txt"), "utf8")).toBe("the original\n");
    expect(existsSync(path.join(ws, "out/new.txt"))).toBe(false);
  });

  it("undoes in reverse dependency order: the file written after the record is restored before the record is deleted", async () => {
    const ws = await workspace();
    const result = await engine(ws).run(scenario(), { rollback: true, runId: "rb-order" });
    const state = await engine(ws).getState("rb-order");
    const started = (state?.history ?? []).filter((h) => h.event === "task_started").map((h) => h.task_id);
    expect(result.status).toBe("rolled_back");
    expect(started.indexOf("undo:create")).toBeGreaterThan(started.indexOf("undo:overwrite"));
    const undo = result.tasks.find((t) => t.id === "undo:create");
    // {{self...}} became the task's own id; it is resolved when the compensation starts.
    expect(undo?.action_config).toEqual({ method: "DELETE", url: `${api.url}/records/{{create.data.id}}` });
  });

  it("a compensation that keeps failing ends the run rollback_failed, naming what was not undone; the rest is undone", async () => {
    const ws = await workspace();
    const result = await engine(ws).run(scenario("/broken", `${api.url}/broken/{{self.data.id}}`), { rollback: true, runId: "rb-fail" });
    expect(result.status).toBe("rollback_failed");
    expect(result.error?.code).toBe(ErrorCode.RollbackFailed);
    expect(result.error?.message).toContain("could not undo: create (");
    expect(result.error?.details).toMatchObject({ not_undone: ["create"], failure: { code: "HTTP_STATUS" } });
    expect(result.tasks.find((t) => t.id === "undo:create")?.attempts).toBe(2);
    expect(await readFile(path.join(ws, "existing.txt"), "utf8")).toBe("the original\n");
  });

  it("the plan's on_failure: compensate rolls back without the flag; without either a failed run stays as it failed", async () => {
    const ws = await workspace();
    const byPlan = await engine(ws).run({ ...scenario(), on_failure: "compensate" }, { runId: "rb-plan" });
    expect(byPlan.status).toBe("rolled_back");
    const plain = await engine(ws).run(scenario(), { runId: "rb-none" });
    expect(plain.status).toBe("failed");
    expect(await readFile(path.join(ws, "existing.txt"), "utf8")).toBe("changed by the run\n");
  });
});

describe("runs rollback of a finished run", () => {
  it("--dry-run lists what would be undone; then the rollback undoes it and a second is refused", async () => {
    const ws = await workspace();
    const ok = scenario("/items");
    const file = path.join(ws, "plan.json");
    await writeFile(file, JSON.stringify(ok));
    const done = await runCli(["--plan", file, "--workspace", ws, "--allow-host", "127.0.0.1", "--run-id", "rb-done", "--quiet"]);
    expect(done.code, done.stderr).toBe(0);
    const created = api.records().length;
    const dry = await runCli(["runs", "rollback", "rb-done", "--workspace", ws, "--dry-run"]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(
      /^undo create: api_call \{"method":"DELETE","url":"http:\/\/127\.0\.0\.1:\d+\/records\/\{\{create\.data\.id\}\}"\} \(after add, overwrite\)$/m,
    );
    expect(dry.stdout).toMatch(/^undo overwrite: file_operation .*"encoding":"base64"/m);
    expect(dry.stdout).toMatch(/^undo add: file_operation \{"operation":"delete","path":"out\/new.txt"\}$/m);
    expect(api.records().length).toBe(created);
    const undone = await runCli(["runs", "rollback", "rb-done", "--workspace", ws, "--json"]);
    expect(undone.code, undone.stderr).toBe(0);
    expect(JSON.parse(undone.stdout).status).toBe("rolled_back");
    expect(api.records().length).toBe(created - 1);
    expect(await readFile(path.join(ws, "existing.txt"), "utf8")).toBe("the original\n");
    const again = await runCli(["runs", "rollback", "rb-done", "--workspace", ws]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already rolled back (rolled_back)");
  });
});

describe("verify", () => {
  const list = (rules: unknown, attempts = 3): PlanInput => ({
    tasks: [
      {
        id: "fetch",
        action_type: "api_call",
        action_config: { url: `${api.url}/items` },
        verify: rules as never,
        retry: { max_attempts: attempts, backoff_ms: 0 },
      },
    ],
  });

  it("a false assertion fails the attempt with VERIFY_FAILED and the policy retries it until it holds", async () => {
    const ws = await workspace();
    api.queue.push(0, 0, 2);
    const result = await engine(ws).run(list({ assert: "$count(result.data.items) > 0", message: "the list is not empty" }), {
      runId: "verify-retry",
    });
    expect(result.status).toBe("completed");
    expect(result.tasks[0]?.attempts).toBe(3);
    const state = await engine(ws).getState("verify-retry");
    const failures = (state?.history ?? []).filter((h) => h.event === "task_failed").map((h) => h.detail ?? "");
    expect(failures).toHaveLength(2);
    expect(failures[0]).toContain('VERIFY_FAILED: Task "fetch": the list is not empty ($count(result.data.items) > 0: it was false');
  });

  it("fails the run when it never holds, naming the rule and the result it saw", async () => {
    const ws = await workspace();
    api.queue.push(0, 0);
    const result = await engine(ws).run(list([{ assert: "result.status = 200" }, { assert: "$count(result.data.items) > 0" }], 2), {
      runId: "verify-fail",
    });
    expect(result.status).toBe("failed");
    const error = result.tasks[0]?.error;
    expect(error?.code).toBe("VERIFY_FAILED");
    expect(error?.message).toContain(
      'verify[1] $count(result.data.items) > 0 ($count(result.data.items) > 0: it was false, not true; the result was {"status":200',
    );
    expect(error?.details).toMatchObject({ verify: 1, assert: "$count(result.data.items) > 0" });
  });

  it("refuses a plan whose assertion is not JSONata, or whose compensation refers to what it cannot, before anything runs", async () => {
    const ws = await workspace();
    const e = engine(ws);
    const bad: PlanInput = {
      tasks: [
        { id: "a", action_type: "wait", action_config: { ms: 0 }, verify: { assert: "result.(" } },
        {
          id: "b",
          action_type: "api_call",
          action_config: { method: "POST", url: `${api.url}/records` },
          compensate: { action_type: "api_call", action_config: { method: "DELETE", url: "{{later.data.id}}" } },
        },
        { id: "later", action_type: "wait", action_config: { ms: 0 }, dependencies: ["b"] },
      ],
    };
    const created = api.created;
    const err = await e.run(bad, { runId: "bad-plan" }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(WorkflowError);
    expect((err as WorkflowError).code).toBe("PLAN_INVALID");
    expect((err as WorkflowError).message).toContain('tasks[0].verify[0].assert: "result.(" is not a JSONata expression');
    expect((err as WorkflowError).message).toContain("tasks[1].compensate.action_config: {{later.data.id}} is not {{self...}}");
    expect(api.created).toBe(created);
    expect(await e.listRuns()).toEqual([]);
  });
});
