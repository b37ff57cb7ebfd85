import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { REPO, runCli } from "../../fixtures/cli.js";
import { makeTempDir } from "../../fixtures/context.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir("wf-cli-conv-"));
});
afterEach(() => cleanup());

const version = (JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")) as { version: string }).version;

describe("CLI conventions", () => {
  it("--version prints the package version and exits 0", async () => {
    const run = await runCli(["--version"]);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(version);
  });

  it("--help names the runs help in words, with no literal $0", async () => {
    const run = await runCli(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("node main.js runs --help");
    expect(run.stdout).not.toContain("$0");
  });

  it("`runs` alone prints its usage on stderr and exits 2; `runs --help` on stdout with 0", async () => {
    const bare = await runCli(["runs"], { cwd: dir });
    expect(bare.code).toBe(2);
    expect(bare.stdout).toBe("");
    expect(bare.stderr).toContain("node main.js runs <command> [options]");
    const help = await runCli(["runs", "--help"], { cwd: dir });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("node main.js runs <command> [options]");
  });

  it("reading a history that does not exist creates nothing", async () => {
    const show = await runCli(["runs", "show", "nope", "--workspace", dir]);
    expect(show.code).toBe(2);
    expect(show.stderr).toMatch(/^Error \[RUN_NOT_FOUND\]: No run "nope"/);
    const list = await runCli(["runs", "list", "--workspace", dir]);
    expect(list.code).toBe(0);
    expect(list.stdout.trim()).toBe("No runs.");
    expect(existsSync(path.join(dir, ".workflow-state"))).toBe(false);
  });

  it("loads .env from the current folder; the environment wins over the file", async () => {
    writeFileSync(path.join(dir, ".env"), "LOG_LEVEL=info\n");
    writeFileSync(path.join(dir, "plan.json"), JSON.stringify({ tasks: [{ id: "w", action_type: "wait", action_config: { ms: 1 } }] }));
    const fromFile = await runCli(["--plan", "plan.json", "--quiet", "--no-persist"], { cwd: dir });
    expect(fromFile.code).toBe(0);
    expect(fromFile.stderr).toContain('"level":30');
    const overridden = await runCli(["--plan", "plan.json", "--quiet", "--no-persist"], { cwd: dir, env: { LOG_LEVEL: "error" } });
    expect(overridden.code).toBe(0);
    expect(overridden.stderr).not.toContain('"level":30');
  });

  it("Ctrl-C says how to resume, and the run resumes to completion", async () => {
    writeFileSync(
      path.join(dir, "plan.json"),
      JSON.stringify({
        tasks: [
          { id: "first", action_type: "file_operation", action_config: { operation: "append", path: "log.txt", content: "first\n" } },
          { id: "slow", action_type: "wait", action_config: { seconds: 5 }, dependencies: ["first"] },
          {
            id: "last",
            action_type: "file_operation",
            action_config: { operation: "append", path: "log.txt", content: "last\n" },
            dependencies: ["slow"],
          },
        ],
      }),
    );
    const child = spawn(process.execPath, [path.join(REPO, "main.js"), "--plan", "plan.json", "--plain", "--run-id", "ctrl-c-1"], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    const started = new Promise<void>((resolve) => {
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes("started   slow")) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    await started;
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(stderr).toContain("Continue it with: node main.js runs resume ctrl-c-1");
    const resumed = await runCli(["runs", "resume", "ctrl-c-1", "--workspace", dir, "--quiet"], { cwd: dir, timeoutMs: 120_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readFileSync(path.join(dir, "log.txt"), "utf8")).toBe("first\nlast\n");
  }, 180_000);

  it("reusing a finished run's id with a different goal is refused; the same input shows the stored run", async () => {
    const first = await runCli(["--goal", "Create output/a.txt with 'A'", "--run-id", "nightly-1", "--quiet", "--workspace", dir]);
    expect(first.code, first.stderr).toBe(0);
    const other = await runCli(["--goal", "Create output/b.txt with 'B'", "--run-id", "nightly-1", "--quiet", "--workspace", dir]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(
      /^Error \[RUN_EXISTS\]: Run id "nightly-1" is taken: it already ran the goal "Create output\/a\.txt with 'A'"/,
    );
    expect(other.stderr).toContain("--run-id");
    expect(existsSync(path.join(dir, "output", "b.txt"))).toBe(false);
    const same = await runCli(["--goal", "Create output/a.txt with 'A'", "--run-id", "nightly-1", "--quiet", "--workspace", dir]);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain("Workflow nightly-1: completed");
  });
});
