import { readFile, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { PlanInput } from "../../src/model/plan-schema.js";
import { runCli } from "../fixtures/cli.js";
import { jsonOf, taskOf } from "../fixtures/cli-json.js";
import { makeTempDir } from "../fixtures/context.js";

/** Generous: the run itself takes a few seconds on a busy machine; Redis may cost one 2 s wait. */
const DEADLINE_MS = 25_000;

/**
 * The attack (or the accident): REDIS_URL points at something that accepts TCP connections and never
 * answers. ioredis queued every command forever, so a plan run completed but never exited and a goal run hung
 * before planning. A silent Redis must degrade exactly like a refused one: a warning, the run goes on once,
 * the process exits. `runs watch`, which needs Redis, must fail with REDIS_UNAVAILABLE naming the address.
 */
describe("a Redis that accepts connections and never answers", () => {
  let server: Server;
  const sockets = new Set<Socket>();
  let accepted = 0;
  let silentUrl: string;
  let root: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    server = createServer((socket) => {
      accepted++;
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => undefined);
      // Read everything, answer nothing.
      socket.resume();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no TCP address");
    silentUrl = `redis://:s3cret-pass@127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(async () => {
    ({ dir: root, cleanup } = await makeTempDir("wf-chaos-redis-"));
  });
  afterEach(async () => {
    await cleanup();
  });

  it("lets a plan run complete and the process exit, with a warning", async () => {
    const plan: PlanInput = {
      tasks: [
        { id: "write", action_type: "file_operation", action_config: { operation: "append", path: "out/log.txt", content: "line\n" } },
        { id: "after", action_type: "wait", action_config: { ms: 1 }, dependencies: ["write"] },
      ],
    };
    const file = path.join(root, "plan.json");
    await writeFile(file, JSON.stringify(plan));
    const before = accepted;
    const run = await runCli(["--plan", file, "--workspace", root, "--no-persist", "--json"], {
      env: { REDIS_URL: silentUrl },
      timeoutMs: DEADLINE_MS,
    });
    expect(run.killed, `the CLI hung; stderr:\n${run.stderr}`).toBeUndefined();
    expect(run.code).toBe(0);
    const output = jsonOf(run);
    expect(output.status).toBe("completed");
    expect(taskOf(output, "write")).toMatchObject({ status: "completed", attempts: 1 });
    // Appended once: nothing repeated.
    expect(await readFile(path.join(root, "out/log.txt"), "utf8")).toBe("line\n");
    // One warning that Redis is off (which of the two depends on whether a command or the connection noticed first).
    expect(run.stderr).toMatch(
      /Redis does not answer; the plan cache and live events are off until it does|Redis connection error; Redis features degrade/,
    );
    expect(run.stderr).not.toContain("s3cret-pass");
    expect(accepted).toBeGreaterThan(before);
  });

  it("lets a goal run plan (the plan cache misses) and exit", async () => {
    const run = await runCli(["--goal", "Create output/hello.txt with 'Hello'", "--workspace", root, "--no-persist"], {
      env: { REDIS_URL: silentUrl },
      timeoutMs: DEADLINE_MS,
    });
    expect(run.killed, `the CLI hung; stderr:\n${run.stderr}`).toBeUndefined();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(": completed");
    expect(await readFile(path.join(root, "output/hello.txt"), "utf8")).toBe("Hello");
    expect(run.stderr).toContain("Redis does not answer");
  });

  it("makes runs watch fail with REDIS_UNAVAILABLE naming the address, without the password", async () => {
    const run = await runCli(["runs", "watch", "some-run", "--workspace", root], { env: { REDIS_URL: silentUrl }, timeoutMs: DEADLINE_MS });
    expect(run.killed, `runs watch hung; stderr:\n${run.stderr}`).toBeUndefined();
    expect(run.code).toBe(1);
    const port = new URL(silentUrl).port;
    expect(run.stderr).toContain(
      `Error [REDIS_UNAVAILABLE]: Following a run's events needs Redis, and Redis at redis://127.0.0.1:${port}/0 (REDIS_URL) is unavailable`,
    );
    expect(run.stderr).toContain("Check that Redis is running and reachable at that address");
    expect(run.stderr).not.toContain("s3cret-pass");
  });

  it("makes runs watch with Redis refused fail the same way, with the connection error", async () => {
    const run = await runCli(["runs", "watch", "some-run", "--workspace", root], {
      env: { REDIS_URL: "redis://127.0.0.1:1" },
      timeoutMs: DEADLINE_MS,
    });
    expect(run.killed, `runs watch hung; stderr:\n${run.stderr}`).toBeUndefined();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "Error [REDIS_UNAVAILABLE]: Following a run's events needs Redis, and Redis at redis://127.0.0.1:1/0 (REDIS_URL) is unavailable: connect ECONNREFUSED",
    );
    expect(run.stderr).not.toContain("max retries");
  });
});
