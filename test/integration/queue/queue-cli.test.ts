import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../../fixtures/cli.js";
import { makeTempDir } from "../../fixtures/context.js";
import { queuePrefix, REDIS_URL } from "../../fixtures/queue.js";
import { startWorker, stopWorkers } from "../../fixtures/worker-process.js";

const { prefix, cleanup } = queuePrefix("cli");
afterAll(cleanup);

describe("the CLI with --executor queue and `worker`", () => {
  it("refuses the queue executor and a worker without REDIS_URL, and a worker's unknown action type, with exit 2", async () => {
    const noRedis = { REDIS_URL: "" };
    const run = await runCli(["--executor", "queue", "--goal", "wait 1 second", "--no-persist"], { env: noRedis });
    expect([run.code, run.stderr]).toEqual([2, expect.stringContaining("CONFIG_INVALID")]);
    expect(run.stderr).toContain("set REDIS_URL");
    const worker = await runCli(["worker"], { env: noRedis });
    expect([worker.code, worker.stderr]).toEqual([2, expect.stringContaining("set REDIS_URL")]);
    const bad = await runCli(["worker", "--actions", "api_call,teleport"], { env: { REDIS_URL } });
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining("--actions takes a comma-separated list of")]);
  });

  it("runs a plan on a worker process, and runs show prints the task queues (human and --json)", async () => {
    const { dir, cleanup: removeDir } = await makeTempDir("wf-queue-cli-");
    const env = { REDIS_URL, REDIS_PREFIX: prefix };
    const worker = await startWorker(REDIS_URL, prefix, ["--actions", "wait,transform_data"]);
    try {
      const planFile = path.join(dir, "plan.json");
      writeFileSync(planFile, JSON.stringify({ tasks: [{ id: "a", action_type: "wait", action_config: { ms: 5 } }] }));
      const run = await runCli(["--executor", "queue", "--plan", planFile, "--run-id", "cli-1", "--workspace", dir, "--quiet"], { env });
      expect(run.code, run.stderr).toBe(0);
      expect(worker.ended.size).toBe(1);
      const shown = await runCli(["runs", "show", "cli-1", "--workspace", dir], { env: { ...env, EXECUTOR: "queue" } });
      expect(shown.stdout).toMatch(/Task queues \(now\):\n {2}api_call +waiting +0 +active +0 +delayed +0 +failed +0 +workers 0/);
      expect(shown.stdout).toMatch(/ {2}wait +waiting +0 +active +0 +delayed +0 +failed +0 +workers 1/);
      const json = await runCli(["runs", "show", "cli-1", "--workspace", dir, "--json", "--executor", "queue"], { env });
      const parsed = JSON.parse(json.stdout);
      expect(parsed.status).toBe("completed");
      expect(parsed.queues.find((q: { actionType: string }) => q.actionType === "transform_data")).toMatchObject({ workers: 1, failed: 0 });
      const inProcess = await runCli(["runs", "show", "cli-1", "--workspace", dir, "--json"], { env });
      expect(JSON.parse(inProcess.stdout).queues).toBeUndefined();
    } finally {
      await stopWorkers([worker]);
      await removeDir();
    }
  });
});
