import { mkdir, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileOperation } from "../../../src/actions/file-operation/run.js";
import type { FileOperationConfig } from "../../../src/model/action-config/file-operation.js";
import type { ActionContext } from "../../../src/actions/types.js";
import { isInside, resolveInWorkspace } from "../../../src/actions/file-operation/workspace-path.js";
import { makeContext, makeTempDir } from "../../fixtures/context.js";
import { failure } from "../../fixtures/errors.js";

let root: string;
let ws: string;
let sibling: string;
let ctx: ActionContext;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const temp = await makeTempDir("wf-file-");
  root = temp.dir;
  cleanup = temp.cleanup;
  ws = path.join(root, "ws");
  sibling = path.join(root, "ws2");
  await mkdir(ws);
  await mkdir(sibling);
  await writeFile(path.join(sibling, "secret.txt"), "top secret");
  ctx = makeContext({ workspace: ws });
});
afterAll(async () => {
  await cleanup();
});

/** What the task returns: the engine keeps a write's `$undo` (what it replaced) beside the task, not in its result. */
async function op(config: Record<string, unknown>) {
  const { $undo: _undo, ...result } = (await fileOperation.run(fileOperation.schema.parse(config) as FileOperationConfig, ctx)) as Record<
    string,
    unknown
  >;
  return result;
}

describe("file_operation inside the workspace", () => {
  it("writes an object as pretty JSON and reads .json back parsed", async () => {
    const content = { users: [{ id: 1, name: "Ada" }] };
    const written = await op({ operation: "write", path: "out/report.json", content });
    const text = `${JSON.stringify(content, null, 2)}\n`;
    expect(written).toEqual({ path: "out/report.json", bytes_written: Buffer.byteLength(text) });
    expect(await readFile(path.join(ws, "out/report.json"), "utf8")).toBe(text);
    expect(await op({ operation: "read", path: "out/report.json" })).toEqual({ path: "out/report.json", content });
  });

  it("writes strings as-is into new nested folders, atomically (no temp files left)", async () => {
    await op({ operation: "write", path: "a/b/c/note.txt", content: "first" });
    const second = await op({ operation: "write", path: "a/b/c/note.txt", content: "héllo" });
    expect(second).toEqual({ path: "a/b/c/note.txt", bytes_written: 6 });
    expect(await op({ operation: "read", path: "a/b/c/note.txt" })).toEqual({ path: "a/b/c/note.txt", content: "héllo" });
    expect(await readdir(path.join(ws, "a/b/c"))).toEqual(["note.txt"]);
  });

  it("round-trips binary content through base64", async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    await op({ operation: "write", path: "bin.dat", content: bytes.toString("base64"), encoding: "base64" });
    expect(await readFile(path.join(ws, "bin.dat"))).toEqual(bytes);
    const read = await op({ operation: "read", path: "bin.dat", encoding: "base64" });
    expect(read).toEqual({ path: "bin.dat", content: bytes.toString("base64") });
  });

  it("appends strings and objects (one JSON line each)", async () => {
    await op({ operation: "append", path: "log/events.jsonl", content: "start\n" });
    const second = await op({ operation: "append", path: "log/events.jsonl", content: { n: 1 } });
    expect(second).toEqual({ path: "log/events.jsonl", bytes_written: 8 });
    expect(await readFile(path.join(ws, "log/events.jsonl"), "utf8")).toBe('start\n{"n":1}\n');
  });

  it("lists entries sorted by name with type and size", async () => {
    await op({ operation: "write", path: "list/b.txt", content: "bb" });
    await op({ operation: "write", path: "list/a.txt", content: "a" });
    await mkdir(path.join(ws, "list/sub"));
    expect(await op({ operation: "list", path: "list" })).toEqual({
      path: "list",
      entries: [
        { name: "a.txt", type: "file", size: 1 },
        { name: "b.txt", type: "file", size: 2 },
        { name: "sub", type: "directory", size: 0 },
      ],
    });
  });

  it("tells whether a file exists and deletes it (a missing file is deleted: false)", async () => {
    await op({ operation: "write", path: "gone.txt", content: "x" });
    expect(await op({ operation: "exists", path: "gone.txt" })).toEqual({ path: "gone.txt", exists: true });
    expect(await op({ operation: "delete", path: "gone.txt" })).toEqual({ path: "gone.txt", deleted: true });
    expect(await op({ operation: "delete", path: "gone.txt" })).toEqual({ path: "gone.txt", deleted: false });
    expect(await op({ operation: "exists", path: "gone.txt" })).toEqual({ path: "gone.txt", exists: false });
  });

  it("reads a missing file as FILE_NOT_FOUND, not retryable", async () => {
    const err = await failure(op({ operation: "read", path: "nope/missing.txt" }));
    expect(err).toMatchObject({ code: "FILE_NOT_FOUND", retryable: false });
    expect(err.message).toContain("nope/missing.txt");
  });

  it("reports invalid JSON and deleting the workspace itself as FILE_ERROR", async () => {
    await writeFile(path.join(ws, "broken.json"), "{nope");
    expect(await failure(op({ operation: "read", path: "broken.json" }))).toMatchObject({ code: "FILE_ERROR" });
    expect(await failure(op({ operation: "delete", path: "." }))).toMatchObject({ code: "FILE_ERROR" });
  });

  it("reports a missing workspace as FILE_ERROR", async () => {
    const config = fileOperation.schema.parse({ operation: "exists", path: "x" }) as FileOperationConfig;
    const missing = makeContext({ workspace: path.join(root, "no-such-workspace") });
    const err = await failure(fileOperation.run(config, missing));
    expect(err).toMatchObject({ code: "FILE_ERROR", retryable: false });
    expect(err.message).toContain("no-such-workspace");
  });

  it("follows a symlink that stays inside the workspace", async () => {
    await op({ operation: "write", path: "real/target.txt", content: "inside" });
    await symlink(path.join(ws, "real"), path.join(ws, "alias"));
    expect(await op({ operation: "read", path: "alias/target.txt" })).toEqual({
      path: "alias/target.txt",
      content: "inside",
    });
  });
});

describe("the workspace jail", () => {
  const outside = async (config: Record<string, unknown>) => {
    const err = await failure(op(config));
    expect(err).toMatchObject({ code: "FILE_OUTSIDE_WORKSPACE", retryable: false });
    expect(err.message).toContain(String(config.path));
    expect(err.message).toContain(ws);
    return err;
  };

  it("refuses .. escapes and absolute paths", async () => {
    await outside({ operation: "read", path: "../x" });
    await outside({ operation: "write", path: "a/../../x", content: "no" });
    await outside({ operation: "read", path: "/etc/passwd" });
    await outside({ operation: "exists", path: "/etc/passwd" });
  });

  it("refuses a sibling folder whose name starts with the workspace's", async () => {
    await outside({ operation: "read", path: "../ws2/secret.txt" });
    expect(isInside("/ws", "/ws2")).toBe(false);
    expect(isInside("/ws", "/ws/a")).toBe(true);
    expect(isInside("/ws", "/ws")).toBe(true);
  });

  it("refuses symlinks that lead outside, for reads and writes", async () => {
    await symlink(sibling, path.join(ws, "escape"));
    await outside({ operation: "read", path: "escape/secret.txt" });
    await outside({ operation: "write", path: "escape/new.txt", content: "no" });
    await outside({ operation: "list", path: "escape" });
    expect(await readdir(sibling)).toEqual(["secret.txt"]);
  });

  it("refuses a dangling symlink to a file outside (a write would create it)", async () => {
    await symlink(path.join(sibling, "created.txt"), path.join(ws, "dangling"));
    await outside({ operation: "write", path: "dangling", content: "no" });
    await symlink("../ws2/rel.txt", path.join(ws, "dangling-rel"));
    await outside({ operation: "append", path: "dangling-rel", content: "no" });
    expect(await readdir(sibling)).toEqual(["secret.txt"]);
  });

  it("resolves paths relative to the workspace with forward slashes", async () => {
    const resolved = await resolveInWorkspace(ws, "x/./y//z.txt");
    expect(resolved).toMatchObject({ relative: "x/y/z.txt", absolute: path.join(ws, "x", "y", "z.txt") });
    expect((await resolveInWorkspace(ws, ".")).relative).toBe(".");
  });
});
