import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../../fixtures/cli.js";
import { makeTempDir } from "../../fixtures/context.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir("wf-preflight-"));
});
afterEach(() => cleanup());

const write = (id: string, file: string) => ({
  id,
  action_type: "file_operation",
  action_config: { operation: "write", path: file, content: "x" },
});

describe("refusal before running what the plan already shows", () => {
  it.each([
    ["a '..' path", write("escape", "../outside.txt"), "FILE_OUTSIDE_WORKSPACE"],
    [
      "a SQL write in a read-only run",
      { id: "insert", action_type: "db_query", action_config: { query: "INSERT INTO t VALUES (1)" } },
      "SQL_REFUSED",
    ],
    [
      "a URL with a scheme other than http(s)",
      { id: "peek", action_type: "api_call", action_config: { url: "file:///etc/passwd" } },
      "NETWORK_REFUSED",
    ],
    [
      "an {{env.X}} that is not set",
      {
        id: "token",
        action_type: "file_operation",
        action_config: { operation: "write", path: "t.txt", content: "{{env.WF_PREFLIGHT_UNSET}}" },
      },
      "TEMPLATE_UNRESOLVED",
    ],
  ])("%s: exit 2, PLAN_REFUSED naming the task, and the harmless task never ran", async (_name, hostile, code) => {
    writeFileSync(path.join(dir, "plan.json"), JSON.stringify({ tasks: [write("first", "first.txt"), hostile] }));
    const run = await runCli(["--plan", "plan.json", "--workspace", dir, "--quiet"], { cwd: dir, env: { WF_PREFLIGHT_UNSET: "" } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^Error \[PLAN_REFUSED\]: The plan was refused before anything ran:/);
    expect(run.stderr).toContain(`task "${(hostile as { id: string }).id}": ${code}`);
    expect(existsSync(path.join(dir, "first.txt"))).toBe(false);
    expect(existsSync(path.join(dir, ".workflow-state"))).toBe(false);
  });
});
