import { writeFile } from "node:fs/promises";
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

const BIG = 2 * 1024 * 1024;
let server: Server;
let url: string;
let hits = 0;
beforeAll(async () => {
  server = createServer((_req, res) => {
    hits++;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ pad: "x".repeat(BIG) }));
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
  ({ dir, cleanup } = await makeTempDir("wf-chaos-response-"));
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

describe("responses larger than the engine can hold are refused up front or as they arrive (RESPONSE_TOO_LARGE)", () => {
  it("--max-response-bytes 629145600 (600 MB) is refused before anything runs: one string holds at most ~512 MiB", async () => {
    const file = await plan([{ id: "big", action_type: "api_call", action_config: { url: `${url}/big` } }]);
    // Before: accepted; a 600 MB response then failed as "failed before any answer: Cannot create a string longer than...".
    const run = await runCli(["--plan", file, "--workspace", dir, "--max-response-bytes", "629145600"], { killAfterMs: 60_000 });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--max-response-bytes 629145600: must be a whole number from 1 to 536870912.");
    expect(hits).toBe(0);
  });

  it("a response over the limit fails its task once, named, while a normal chain completes", async () => {
    const file = await plan([
      { id: "big", action_type: "api_call", action_config: { url: `${url}/big` }, on_failure: "skip" },
      { id: "tick", action_type: "wait", action_config: { ms: 50 } },
      {
        id: "after",
        action_type: "transform_data",
        action_config: { input: "{{tick}}", expression: "waited_ms >= 0" },
        dependencies: ["tick"],
      },
    ]);
    const run = await runCli(["--plan", file, "--workspace", dir, "--json", "--max-response-bytes", "1048576"], { killAfterMs: 60_000 });
    expect(run.code).toBe(1);
    const out = JSON.parse(run.stdout) as { status: string; tasks: JsonTask[] };
    const big = out.tasks.find((t) => t.id === "big");
    expect(big).toMatchObject({ status: "skipped", attempts: 1 });
    expect(big?.error).toMatchObject({
      code: "RESPONSE_TOO_LARGE",
      message: expect.stringContaining("larger than the limit of 1048576 bytes"),
    });
    expect(hits).toBe(1);
    for (const id of ["tick", "after"]) expect(out.tasks.find((t) => t.id === id)?.status).toBe("completed");
  });
});
