import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../fixtures/cli.js";
import { makeTempDir } from "../fixtures/context.js";

const DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

interface JsonTask {
  id: string;
  status: string;
  attempts: number;
  result?: unknown;
  error?: { code: string; message: string; details?: Record<string, unknown> };
}

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir("wf-chaos-result-"));
});
afterEach(async () => {
  await cleanup();
});

// Long: PostgreSQL takes 15-30 s to build a 600 MB value on a busy 2-core machine. test/chaos/huge-result.test.ts is the fast one.
describe("a huge db_query result on PostgreSQL fails its task; the process and the run go on (RESULT_TOO_LARGE)", () => {
  it("SELECT repeat('x', 600000000) beside a normal chain: refused by its size before it is decoded", async () => {
    const plan = {
      tasks: [
        { id: "huge", action_type: "db_query", action_config: { query: "SELECT repeat('x', 600000000) AS big" }, on_failure: "skip" },
        { id: "tick", action_type: "wait", action_config: { ms: 50 } },
        { id: "answer", action_type: "db_query", action_config: { query: "SELECT 42 AS answer" }, dependencies: ["tick"] },
        {
          id: "after",
          action_type: "transform_data",
          action_config: { input: "{{answer.rows}}", expression: "$[0].answer" },
          dependencies: ["answer"],
        },
      ],
    };
    const file = path.join(dir, "plan.json");
    await writeFile(file, JSON.stringify(plan));
    // Before: pg-protocol threw ERR_STRING_TOO_LONG in the socket's data handler, an uncaught exception: the process
    // died with the run left "running", and a resume died the same way.
    const run = await runCli(["--plan", file, "--workspace", dir, "--json", "--no-persist"], {
      env: { DATABASE_URL },
      killAfterMs: 300_000,
    });
    expect(run.signal ?? null).toBeNull();
    expect(run.stderr).not.toContain("ERR_STRING_TOO_LONG");
    expect(run.code).toBe(1);
    const out = JSON.parse(run.stdout) as { status: string; tasks: JsonTask[] };
    expect(out.status).toBe("completed_with_errors");
    const task = (id: string) => out.tasks.find((t) => t.id === id) as JsonTask;
    expect(task("huge")).toMatchObject({ status: "skipped", attempts: 1 });
    expect(task("huge").error).toMatchObject({ code: "RESULT_TOO_LARGE", message: expect.stringContaining("--max-result-bytes") });
    expect(task("huge").error?.details?.row_bytes as number).toBeGreaterThan(600_000_000);
    for (const id of ["tick", "answer", "after"]) expect(task(id)).toMatchObject({ status: "completed", attempts: 1 });
    expect(task("after").result).toEqual({ data: 42 });
  });
});
