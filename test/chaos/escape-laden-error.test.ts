import { mkdir, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PlanInput } from "../../src/model/plan-schema.js";
import { type CliRun, runCli } from "../fixtures/cli.js";
import { jsonOf, taskOf } from "../fixtures/cli-json.js";
import { makeTempDir } from "../fixtures/context.js";
import { listenOnLoopback } from "../fixtures/loopback.js";
import { firstControl } from "../fixtures/terminal.js";

/** Retitles the window, turns the screen red, clears it with a one-byte CSI, returns the carriage and rubs out. */
const EVIL = "\x1b]0;pwned-title\x07\x1b[31mRED\x1b[0m\x9b2J\r\x08\x7f";

/** No byte a terminal acts on (ESC, BEL, CSI, CR, BS, DEL...) in what the CLI printed. */
function expectNoControl(run: CliRun, what: string): void {
  const found = firstControl(run.stdout + run.stderr);
  expect(found, `${what}: a control character reached the terminal in\n${run.stdout}\n${run.stderr}`).toBeUndefined();
}

/**
 * The attack: an HTTP error body and a goal full of terminal escape sequences were printed raw in the progress
 * lines, the summary, the `Error:` line and `runs list`, so a server could retitle the window, recolour or clear
 * the screen. Every such byte must come out escaped (visible, nothing lost), in every command that prints.
 */
describe("escape sequences from a server and in a goal", () => {
  let server: Server;
  let url: string;
  let hits = 0;
  const runId = "escape-run";
  let run: CliRun;
  let root: string;
  let ws: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++;
      res.writeHead(400, { "content-type": "text/plain; charset=utf-8" });
      res.end(`bad request ${EVIL} end`);
    });
    url = await listenOnLoopback(server);
    ({ dir: root, cleanup } = await makeTempDir("wf-chaos-escape-"));
    ws = path.join(root, "ws");
    await mkdir(ws);
    const plan: PlanInput = {
      goal: `nightly ${EVIL} report`,
      tasks: [
        { id: "honest", action_type: "file_operation", action_config: { operation: "write", path: "out/ok.txt", content: `fine ${EVIL}` } },
        { id: "fetch", action_type: "api_call", action_config: { method: "GET", url: `${url}/evil` }, dependencies: ["honest"] },
      ],
    };
    const file = path.join(root, "plan.json");
    await writeFile(file, JSON.stringify(plan));
    run = await runCli(["--plan", file, "--workspace", ws, "--run-id", runId, "--approve", "auto", "--plain"]);
  }, 60_000);
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await cleanup();
  });

  it("escapes the server's body and the goal in the progress lines, the summary and the Error line", () => {
    expect(run.code).toBe(1);
    expectNoControl(run, "the run");
    // Nothing lost: what the server sent is there, escaped, in the progress line, the task row and the Error line.
    expect(run.stderr).toContain("failed    fetch (api_call) attempt 1: HTTP_STATUS");
    expect(run.stderr).toContain("\\u001b]0;pwned-title\\u0007");
    expect(run.stdout).toContain("Goal: nightly \\u001b]0;pwned-title\\u0007\\u001b[31mRED\\u001b[0m\\u009b2J\\u000d\\u0008\\u007f report");
    expect(run.stdout).toMatch(/failed\s+fetch\s+api_call\s+HTTP_STATUS: .*\\u001b\[31mRED/);
    expect(run.stdout).toMatch(/Error: HTTP_STATUS: .*\\u009b2J/);
    // Nothing repeated: a 400 is not retried.
    expect(hits).toBe(1);
  });

  it.each([["list"], ["show", runId], ["history", runId], ["graph", runId], ["export", runId]])(
    "escapes them in runs %s",
    async (...args) => {
      const stored = await runCli(["runs", ...args, "--workspace", ws]);
      expect(stored.code, `runs ${args.join(" ")}: ${stored.stderr}`).toBe(0);
      expectNoControl(stored, `runs ${args.join(" ")}`);
      if (args[0] === "list") expect(stored.stdout).toContain("nightly \\u001b]0;pwned-title\\u0007");
    },
    60_000,
  );

  it("keeps --json valid and every value whole (C1 and DEL escaped by the \\u rule JSON uses)", async () => {
    const json = await runCli(["runs", "show", runId, "--workspace", ws, "--json"]);
    expectNoControl(json, "runs show --json");
    const output = jsonOf(json);
    expect(taskOf(output, "fetch")).toMatchObject({ status: "failed", attempts: 1 });
    // The excerpt folds whitespace (\r is whitespace); every other byte the server sent is kept.
    expect(taskOf(output, "fetch").error?.message).toContain(EVIL.replace("\r", " "));
    expect(taskOf(output, "honest")).toMatchObject({ status: "completed", attempts: 1 });
  }, 60_000);

  it("escapes an id a user typed, echoed in the Error line", async () => {
    const missing = await runCli(["runs", "show", `nope${EVIL}`, "--workspace", ws]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("Error [RUN_NOT_FOUND]");
    expectNoControl(missing, "the Error line");
    expect(hits).toBe(1);
  }, 60_000);
});
