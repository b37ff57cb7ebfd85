import { readdir, readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PlanInput } from "../../src/model/plan-schema.js";
import { runCli } from "../fixtures/cli.js";
import { jsonOf, taskOf } from "../fixtures/cli-json.js";
import { makeTempDir } from "../fixtures/context.js";
import { listenOnLoopback, readBody } from "../fixtures/loopback.js";

/** Not secret-looking by name (no _KEY, _TOKEN, _SECRET, PASSWORD), and still read through {{env.NAME}}. */
const NAME = "PLAIN_VALUE";
const VALUE = "plain-value-7f3a9c51";

/**
 * The attack: a server echoes what it is sent. A value read with {{env.PLAIN_VALUE}} (a name that does not look
 * secret) came back in the result and was stored in the checkpoint, printed by --json and exported, though env
 * values are never to be stored. It must not appear in the SQLite files, --json or runs export, on the first
 * run or after an approval in another process, while the request itself carries the real value, once.
 */
describe("values read through {{env.NAME}}, whatever the name", () => {
  let server: Server;
  let url: string;
  const received: string[] = [];
  let root: string;
  let ws: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    server = createServer((req, res) => {
      readBody(req)
        .then((body) => {
          const echo = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: body ?? null });
          received.push(echo);
          res.writeHead(200, { "content-type": "application/json", "x-echo": String(req.headers["x-trace"] ?? "") });
          res.end(echo);
        })
        .catch(() => res.destroy());
    });
    url = await listenOnLoopback(server);
    ({ dir: root, cleanup } = await makeTempDir("wf-chaos-env-"));
    ws = path.join(root, "ws");
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await cleanup();
  });

  /** Every byte under the workspace's state folder (SQLite file, WAL, journal) as text. */
  async function stateBytes(): Promise<string> {
    const dir = path.join(ws, ".workflow-state");
    const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((f) => f.isFile());
    expect(files.length).toBeGreaterThan(0);
    const parts = await Promise.all(files.map((f) => readFile(path.join(f.parentPath, f.name))));
    return Buffer.concat(parts).toString("latin1");
  }

  const call = (id: string, method: "GET" | "POST") => ({
    id,
    action_type: "api_call" as const,
    action_config: {
      method,
      url: `${url}/echo/${id}?v={{env.${NAME}}}`,
      headers: { "X-Trace": `trace {{env.${NAME}}}` },
      ...(method === "POST" ? { body: { note: `{{env.${NAME}}}` } } : {}),
    },
  });

  it("keeps the value out of the checkpoint, --json and runs export, on a run and after an approval elsewhere", async () => {
    const plan: PlanInput = {
      tasks: [
        call("get", "GET"),
        { ...call("post", "POST"), dependencies: ["get"] },
        {
          id: "save",
          action_type: "file_operation",
          action_config: { operation: "write", path: "out/echo.json", content: "{{get.data}}" },
        },
      ],
    };
    const file = path.join(root, "plan.json");
    await writeFile(file, JSON.stringify(plan));
    const env = { [NAME]: VALUE };
    const runId = "env-secret-run";

    // The POST waits for approval: the first process pauses (exit 3), another approves and finishes it.
    const first = await runCli(["--plan", file, "--workspace", ws, "--run-id", runId, "--approve", "ask", "--json"], { env });
    expect(first.code, first.stderr).toBe(3);
    const paused = jsonOf(first);
    expect(taskOf(paused, "get")).toMatchObject({ status: "completed", attempts: 1 });
    const approved = await runCli(["runs", "approve", runId, "--workspace", ws, "--json"], { env });
    expect(approved.code, approved.stderr).toBe(0);
    const done = jsonOf(approved);
    expect(taskOf(done, "post")).toMatchObject({ status: "completed", attempts: 1 });

    // The requests carried the real value, each once: nothing lost, nothing repeated.
    expect(received).toHaveLength(2);
    for (const echo of received) expect(echo).toContain(VALUE);
    expect(JSON.stringify(taskOf(done, "post").result)).toContain("[redacted]");

    const exported = await runCli(["runs", "export", runId, "--workspace", ws], { env: {} });
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain(runId);
    for (const [what, text] of [
      ["the first run's --json", first.stdout + first.stderr],
      ["the approval's --json", approved.stdout + approved.stderr],
      ["runs export", exported.stdout],
      ["the checkpoint files", await stateBytes()],
    ] as const) {
      expect(text.includes(VALUE), `${what} holds the env value`).toBe(false);
      expect(text.includes(encodeURIComponent(VALUE)), `${what} holds the env value`).toBe(false);
    }
    expect(taskOf(done, "save")).toMatchObject({ status: "completed", attempts: 1 });
  });
});
