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

describe("a huge db_query result on PostgreSQL fails its task; the process and the run go on (RESULT_TOO_LARGE)", () => {
  it("a 20 MB value over --max-result-bytes 1 MiB beside a normal chain: refused by its size, the chain completes", async () => {
    const plan = {
      tasks: [
        { id: "huge", action_type: "db_query", action_config: { query: "SELECT repeat('x', 20000000) AS big" }, on_failure: "skip" },
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
    // Before: no byte cap; the whole value was read into memory and stored in the run's state.
    const run = await runCli(["--plan", file, "--workspace", dir, "--json", "--no-persist", "--max-result-bytes", "1048576"], {
      env: { DATABASE_URL },
      killAfterMs: 120_000,
    });
    expect(run.signal ?? null).toBeNull();
    expect(run.code).toBe(1);
    const out = JSON.parse(run.stdout) as { status: string; tasks: JsonTask[] };
    expect(out.status).toBe("completed_with_errors");
    const task = (id: string) => out.tasks.find((t) => t.id === id) as JsonTask;
    expect(task("huge")).toMatchObject({ status: "skipped", attempts: 1 });
    expect(task("huge").error).toMatchObject({ code: "RESULT_TOO_LARGE", message: expect.stringContaining("--max-result-bytes") });
    expect(task("huge").error?.details?.row_bytes as number).toBeGreaterThan(20_000_000);
    for (const id of ["tick", "answer", "after"]) expect(task(id)).toMatchObject({ status: "completed", attempts: 1 });
    expect(task("after").result).toEqual({ data: 42 });
  });
});
