import { spawn } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { REPO } from "../../fixtures/cli.js";

/** The compiled guard (test/global-setup.ts builds dist/): it is exercised in a child process, whose crash would not take vitest down. */
const GUARD = pathToFileURL(path.join(REPO, "dist/src/safety/limits/escape-guard.js")).href;

function runScript(body: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = `const { guardAttempt } = await import(${JSON.stringify(GUARD)});\n${body}`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("an error escaping from an action fails that attempt, not the process", () => {
  it("a throw in a driver callback and an unhandled rejection each fail their own attempt; a sibling completes", async () => {
    const { code, stdout, stderr } = await runScript(`
      const forever = () => new Promise(() => {});
      const settle = (p) => p.then((value) => ({ value }), (err) => ({ code: err.code, message: err.message, escaped: err.details?.escaped }));
      const thrown = guardAttempt(async () => {
        setTimeout(() => { throw Object.assign(new Error("Cannot create a string longer than 0x1fffffe8 characters"), { code: "ERR_STRING_TOO_LONG" }); }, 20);
        return forever();
      });
      const rejected = guardAttempt(async () => {
        setTimeout(() => { Promise.reject(new Error("nobody handles me")); }, 20);
        return forever();
      });
      const sibling = guardAttempt(async () => { await new Promise((r) => setTimeout(r, 100)); return "done"; });
      const out = await Promise.all([settle(thrown), settle(rejected), settle(sibling)]);
      out.push({ listeners: process.listenerCount("uncaughtException") });
      console.log(JSON.stringify(out));
    `);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const [thrown, rejected, sibling, after] = JSON.parse(stdout) as Record<string, unknown>[];
    expect(thrown).toMatchObject({ code: "INTERNAL_ERROR", escaped: true, message: expect.stringContaining("ERR_STRING_TOO_LONG") });
    expect(thrown?.message).toContain("An error escaped from the action");
    expect(rejected).toMatchObject({ code: "INTERNAL_ERROR", escaped: true, message: expect.stringContaining("nobody handles me") });
    expect(sibling).toEqual({ value: "done" });
    // Nothing left behind once no attempt is in flight.
    expect(after).toEqual({ listeners: 0 });
  });

  it("an error no running attempt owns still ends the process as Node would (exit 1, printed)", async () => {
    const { code, stderr } = await runScript(`
      await guardAttempt(async () => "finished");
      const pending = guardAttempt(() => new Promise((r) => setTimeout(r, 200)));
      setImmediate(() => { throw new Error("not from an action"); });
      await pending;
      console.log("unreachable");
    `);
    expect(code).toBe(1);
    expect(stderr).toContain("not from an action");
  });
});
