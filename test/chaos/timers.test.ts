import { writeFile } from "node:fs/promises";
import Database from "better-sqlite3";
import { createServer, type Server } from "node:http";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../fixtures/cli.js";
import { makeTempDir } from "../fixtures/context.js";
import { listenOnLoopback } from "../fixtures/loopback.js";

interface JsonTask {
  id: string;
  status: string;
  attempts: number;
  error?: { code: string; message: string };
}
interface JsonOutput {
  status: string;
  error?: { code: string; message: string };
  tasks: JsonTask[];
}

/** Answers every request 429 with a Retry-After of about 35 days, and counts them. */
let server: Server;
let url: string;
let hits = 0;
beforeAll(async () => {
  server = createServer((_req, res) => {
    hits++;
    res.writeHead(429, { "content-type": "application/json", "retry-after": "3000000" });
    res.end(JSON.stringify({ error: "slow down" }));
  });
  url = await listenOnLoopback(server);
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir("wf-chaos-timers-"));
  hits = 0;
});
afterEach(async () => {
  await cleanup();
});

async function plan(tasks: unknown[]): Promise<string> {
  const file = path.join(dir, "plan.json");
  await writeFile(file, JSON.stringify({ tasks }));
  return file;
}

/** Checkpoints the CLI wrote (SQLite under the workspace's state folder). */
function checkpoints(): number {
  const db = new Database(path.join(dir, ".workflow-state", "checkpoints.sqlite"), { readonly: true });
  try {
    return (db.prepare("SELECT count(*) AS n FROM checkpoints").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

const normal = [
  { id: "tick", action_type: "wait", action_config: { ms: 100 } },
  {
    id: "after",
    action_type: "transform_data",
    action_config: { input: "{{tick}}", expression: "waited_ms >= 0" },
    dependencies: ["tick"],
  },
];

describe("timers beyond what Node can schedule neither spin nor fire at once", () => {
  it("a Retry-After of 3,000,000 s is capped: the run waits instead of waking (and checkpointing) every millisecond", async () => {
    const file = await plan([{ id: "limited", action_type: "api_call", action_config: { url: `${url}/limited` } }, ...normal]);
    // Before: Node clamped the 3e9 ms retry timer to 1 ms, so the task retried (and checkpointed) without end.
    const run = await runCli(["--plan", file, "--workspace", dir, "--json", "--run-deadline", "3"], { killAfterMs: 60_000 });
    expect(run.signal ?? null).toBeNull();
    expect(run.code).toBe(1);
    const out = JSON.parse(run.stdout) as JsonOutput;
    expect(out.error).toMatchObject({ code: "RUN_DEADLINE" });
    expect(hits).toBe(1);
    // The spin did not repeat the request: it woke the run loop every millisecond, each wake a checkpoint.
    expect(checkpoints()).toBeLessThan(60);
    const limited = out.tasks.find((t) => t.id === "limited");
    expect(limited?.attempts).toBe(1);
    expect(limited?.error?.message).toContain("its Retry-After asks for 3000000 s; the engine waits at most 3600 s");
    for (const id of ["tick", "after"]) expect(out.tasks.find((t) => t.id === id)?.status).toBe("completed");
  });

  it("--run-deadline 2500000 (29 days, under the 30-day maximum) does not fire at once", async () => {
    const file = await plan(normal);
    // Before: 2.5e9 ms overflowed the timer, which fired after 1 ms with RUN_DEADLINE.
    const run = await runCli(["--plan", file, "--workspace", dir, "--json", "--run-deadline", "2500000"], { killAfterMs: 60_000 });
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as JsonOutput;
    expect(out.status).toBe("completed");
    expect(out.tasks.map((t) => [t.id, t.status, t.attempts])).toEqual([
      ["tick", "completed", 1],
      ["after", "completed", 1],
    ]);
  });

  it("a limit above its documented maximum is refused before anything runs (exit 2), naming the flag, the value and the range", async () => {
    const file = await plan([{ id: "limited", action_type: "api_call", action_config: { url: `${url}/limited` } }]);
    const run = await runCli(["--plan", file, "--workspace", dir, "--run-deadline", "99999999"], { killAfterMs: 60_000 });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--run-deadline 99999999: must be a number greater than 0 and at most 2592000.");
    expect(hits).toBe(0);
  });
});
