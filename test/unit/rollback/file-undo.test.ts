import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fileOperation } from "../../../src/actions/file-operation/run.js";
import { makeContext, makeTempDir } from "../../fixtures/context.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe("a file operation's undo record", () => {
  it("keeps what the first attempt replaced: a retry that finds its own earlier write does not take it for the original", async () => {
    const { dir, cleanup } = await makeTempDir("wf-undo-");
    cleanups.push(cleanup);
    await writeFile(path.join(dir, "a.txt"), "before");
    const ctx = makeContext({ workspace: dir, runId: "r1", taskId: "t1" });
    const config = { operation: "write" as const, path: "a.txt", content: "after", encoding: "utf8" as const };
    const first = (await fileOperation.run(config, ctx)) as { $undo: unknown };
    const again = (await fileOperation.run(config, { ...ctx, attempt: 2 })) as { $undo: unknown };
    const original = { path: "a.txt", existed: true, content_base64: Buffer.from("before").toString("base64") };
    expect(first.$undo).toEqual(original);
    expect(again.$undo).toEqual(original);
    expect(await readFile(path.join(dir, "a.txt"), "utf8")).toBe("after");
    // Another task (or run) writing the same file records what it found.
    const other = (await fileOperation.run(config, makeContext({ workspace: dir, runId: "r1", taskId: "t2" }))) as { $undo: unknown };
    expect(other.$undo).toEqual({ path: "a.txt", existed: true, content_base64: Buffer.from("after").toString("base64") });
  });

  it("records that a new file did not exist, and a file over 1 MiB as not restorable", async () => {
    const { dir, cleanup } = await makeTempDir("wf-undo-");
    cleanups.push(cleanup);
    await writeFile(path.join(dir, "big.bin"), Buffer.alloc(1024 * 1024 + 1));
    const created = (await fileOperation.run(
      { operation: "write", path: "new.txt", content: "x", encoding: "utf8" },
      makeContext({ workspace: dir, taskId: "n" }),
    )) as { $undo: unknown };
    expect(created.$undo).toEqual({ path: "new.txt", existed: false });
    const big = (await fileOperation.run(
      { operation: "delete", path: "big.bin", encoding: "utf8" },
      makeContext({ workspace: dir, taskId: "b" }),
    )) as {
      $undo: { unavailable?: string };
    };
    expect(big.$undo.unavailable).toBe("it was 1048577 bytes, over the 1048576 kept for undo");
  });
});
