import { execFileSync } from "node:child_process";
import { lstatSync } from "node:fs";
import { lstat, mkdir, readdir, readFile, readlink, symlink, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { appendRegular, readRegular, writeAtomic } from "../../../src/actions/file-operation/file-io.js";
import { fileOperation } from "../../../src/actions/file-operation/run.js";
import type { FileOperationConfig } from "../../../src/model/action-config/file-operation.js";
import type { ActionContext } from "../../../src/actions/types.js";
import { defaultRunSafety, Limits } from "../../../src/model/safety-policy.js";
import { makeContext, makeTempDir } from "../../fixtures/context.js";
import { failure } from "../../fixtures/errors.js";

// Layout under a fresh temp root:  ws/ (the workspace)  ws2/secret.txt (a sibling with a
// prefix-sharing name)  outside/file.txt (anything else). Hostile links live inside ws.
const LIMIT = 1024;
let root: string;
let ws: string;
let ctx: ActionContext;
let cleanup: () => Promise<void>;
let socket: Server;
let before: Map<string, string>;

/** Every path under the temp root except the workspace, with its content or link target. */
async function snapshotOutside(dir = root, into = new Map<string, string>()): Promise<Map<string, string>> {
  for (const name of (await readdir(dir)).sort()) {
    const full = path.join(dir, name);
    if (full === ws) continue;
    const info = await lstat(full);
    if (info.isDirectory()) {
      into.set(full, "dir");
      await snapshotOutside(full, into);
    } else if (info.isSymbolicLink()) into.set(full, `-> ${await readlink(full)}`);
    else into.set(full, await readFile(full, "utf8"));
  }
  return into;
}

beforeAll(async () => {
  const temp = await makeTempDir("wf-hostile-");
  root = temp.dir;
  cleanup = temp.cleanup;
  ws = path.join(root, "ws");
  const outside = path.join(root, "outside");
  await Promise.all([mkdir(ws), mkdir(path.join(root, "ws2")), mkdir(outside)]);
  await writeFile(path.join(root, "ws2", "secret.txt"), "sibling secret");
  await writeFile(path.join(outside, "file.txt"), "outside file");
  await symlink("../ws2/secret.txt", path.join(ws, "to-ws2"));
  await symlink(path.join(outside, "file.txt"), path.join(ws, "to-file"));
  await symlink(outside, path.join(ws, "to-dir"));
  await symlink(path.join(outside, "created.txt"), path.join(ws, "dangling"));
  await symlink("loop-b", path.join(ws, "loop-a"));
  await symlink("loop-a", path.join(ws, "loop-b"));
  await symlink("/dev/zero", path.join(ws, "zero"));
  await symlink("/dev/null", path.join(ws, "null"));
  execFileSync("mkfifo", [path.join(ws, "pipe")]);
  await symlink("pipe", path.join(ws, "pipe-link"));
  socket = createServer();
  await new Promise<void>((resolve) => socket.listen(path.join(ws, "sock"), resolve));
  await writeFile(path.join(ws, "big.txt"), "x".repeat(LIMIT + 1));
  await writeFile(path.join(ws, "log.txt"), "y".repeat(LIMIT - 10));
  before = await snapshotOutside();
  const safety = defaultRunSafety({ limits: Limits.parse({ maxFileBytes: LIMIT }) });
  ctx = makeContext({ workspace: ws, safety });
});
afterEach(async () => {
  expect(await snapshotOutside()).toEqual(before);
  expect(lstatSync("/dev/null").isCharacterDevice()).toBe(true);
});
afterAll(async () => {
  await new Promise((resolve) => socket.close(resolve));
  await cleanup();
});

/** What the task returns: the engine keeps a write's `$undo` (what it replaced) beside the task, not in its result. */
async function op(operation: string, relPath: string, content?: string) {
  const config = fileOperation.schema.parse({ operation, path: relPath, content }) as FileOperationConfig;
  const { $undo: _undo, ...result } = (await fileOperation.run(config, ctx)) as Record<string, unknown>;
  return result;
}

type Op = "read" | "write" | "append" | "exists" | "list";
type Case = [name: string, path: string, code: string, ops: Op[], says: string];
const ALL: Op[] = ["read", "write", "append", "exists", "list"];
const OPEN: Op[] = ["read", "write", "append"];

const cases: Case[] = [
  ["an absolute path", "/etc/passwd", "FILE_OUTSIDE_WORKSPACE", ALL, "absolute"],
  ["a Windows drive path", "C:\\Windows\\win.ini", "FILE_OUTSIDE_WORKSPACE", ALL, "absolute"],
  ["a UNC share", "\\\\server\\share\\x", "FILE_OUTSIDE_WORKSPACE", ALL, "absolute"],
  ["..", "..", "FILE_OUTSIDE_WORKSPACE", ALL, "'..' segment"],
  ["a .. escape below a folder", "a/../../x", "FILE_OUTSIDE_WORKSPACE", ALL, "'..' segment"],
  ["a .. that stays inside", "a/..", "FILE_OUTSIDE_WORKSPACE", ALL, "'..' segment"],
  ["./..", "./../x", "FILE_OUTSIDE_WORKSPACE", ALL, "'..' segment"],
  ["a backslash ..", "a\\..\\..\\x", "FILE_OUTSIDE_WORKSPACE", ALL, "'..' segment"],
  ["the ws2 sibling through ..", "../ws2/secret.txt", "FILE_OUTSIDE_WORKSPACE", ALL, "'..' segment"],
  ["a symlink into the ws2 sibling", "to-ws2", "FILE_OUTSIDE_WORKSPACE", ALL, "symlink"],
  ["a symlink to a file outside", "to-file", "FILE_OUTSIDE_WORKSPACE", ALL, "symlink"],
  ["a file below a symlinked folder outside", "to-dir/file.txt", "FILE_OUTSIDE_WORKSPACE", ALL, "symlink"],
  ["a new file below a symlinked folder outside", "to-dir/new.txt", "FILE_OUTSIDE_WORKSPACE", ALL, "symlink"],
  ["a dangling symlink pointing outside", "dangling", "FILE_OUTSIDE_WORKSPACE", ALL, "symlink"],
  ["a symlink loop", "loop-a", "FILE_ERROR", ALL, "symlink loop"],
  ["a NUL byte", "ok.txt\0../../etc/passwd", "FILE_OUTSIDE_WORKSPACE", ALL, "NUL byte"],
  ["/dev/zero through a symlink", "zero", "FILE_OUTSIDE_WORKSPACE", ALL, "/dev/zero"],
  ["/dev/null through a symlink", "null", "FILE_OUTSIDE_WORKSPACE", ALL, "/dev/null"],
  ["a FIFO inside the workspace", "pipe", "FILE_ERROR", OPEN, "FIFO"],
  ["a symlink to a FIFO inside the workspace", "pipe-link", "FILE_ERROR", OPEN, "FIFO"],
  ["a socket inside the workspace", "sock", "FILE_ERROR", OPEN, "socket"],
];

describe("hostile paths are refused", () => {
  for (const [name, relPath, code, ops, says] of cases) {
    it.each(ops)(`${name} (${JSON.stringify(relPath)}): %s → ${code}`, { timeout: 5_000 }, async (operation) => {
      const err = await failure(op(operation, relPath, operation === "write" || operation === "append" ? "pwned" : undefined));
      expect(err).toMatchObject({ code, retryable: false });
      expect(err.message).toContain(says);
      // Every refusal says what to do, not only what went wrong.
      expect(err.message).toMatch(/use|give|name|fix|point|choose/i);
    });
  }

  it("leaves the FIFO and the socket as they were, and ws2/secret.txt unread", async () => {
    expect((await lstat(path.join(ws, "pipe"))).isFIFO()).toBe(true);
    expect((await lstat(path.join(ws, "sock"))).isSocket()).toBe(true);
    expect(await op("exists", "pipe")).toEqual({ path: "pipe", exists: true });
  });

  it("lists a folder holding special files without opening them", async () => {
    const listed = (await op("list", ".")) as { entries: { name: string; type: string }[] };
    const types = Object.fromEntries(listed.entries.map((e) => [e.name, e.type]));
    expect(types).toMatchObject({ pipe: "other", sock: "other", zero: "other", "big.txt": "file" });
  });
});

describe("the size cap (limits.maxFileBytes)", () => {
  const tooLarge = async (promise: Promise<unknown>, bytes: number) => {
    const err = await failure(promise);
    expect(err).toMatchObject({ code: "FILE_TOO_LARGE", retryable: false });
    expect(err.message).toContain(`${bytes} bytes, over the limit of ${LIMIT} bytes`);
    expect(err.message).toContain("raise limits.maxFileBytes");
    expect(err.details).toMatchObject({ limit: LIMIT, setting: "limits.maxFileBytes" });
  };

  it("refuses to read a file over the limit", async () => {
    await tooLarge(op("read", "big.txt"), LIMIT + 1);
  });

  it("refuses to write more than the limit, and creates nothing", async () => {
    await tooLarge(op("write", "huge.txt", "z".repeat(LIMIT + 1)), LIMIT + 1);
    expect(await readdir(ws)).not.toContain("huge.txt");
  });

  it("refuses an append whose result would pass the limit, leaving the file as it was", async () => {
    await tooLarge(op("append", "log.txt", "a".repeat(11)), LIMIT + 1);
    expect(await readFile(path.join(ws, "log.txt"), "utf8")).toBe("y".repeat(LIMIT - 10));
  });

  it("allows exactly the limit", async () => {
    expect(await op("append", "log.txt", "a".repeat(10))).toEqual({ path: "log.txt", bytes_written: 10 });
    expect(await op("write", "exact.txt", "e".repeat(LIMIT))).toEqual({ path: "exact.txt", bytes_written: LIMIT });
    expect(await op("read", "exact.txt")).toEqual({ path: "exact.txt", content: "e".repeat(LIMIT) });
  });
});

// The jail resolves symlinks before the file is touched; these call the I/O layer directly with a
// link in place, as if one had been swapped in between the check and the open.
describe("a symlink swapped in after the jail check", () => {
  const target = (relative: string, operation: string) => ({ operation, relative });

  it("is replaced by a write, not followed", async () => {
    const link = path.join(ws, "swapped-write");
    await symlink(path.join(root, "outside", "file.txt"), link);
    await writeAtomic(link, Buffer.from("mine"), target("swapped-write", "write"), LIMIT);
    expect((await lstat(link)).isFile()).toBe(true);
    expect(await readFile(link, "utf8")).toBe("mine");
  });

  it("is replaced by a write when dangling, creating nothing outside", async () => {
    const link = path.join(ws, "swapped-dangling");
    await symlink(path.join(root, "outside", "made.txt"), link);
    await writeAtomic(link, Buffer.from("mine"), target("swapped-dangling", "write"), LIMIT);
    expect((await lstat(link)).isFile()).toBe(true);
  });

  it.each([
    ["an existing file", "file.txt"],
    ["a missing file", "made-by-append.txt"],
  ])("is not followed by append or read (%s)", async (_, name) => {
    const link = path.join(ws, `swapped-${name}`);
    await symlink(path.join(root, "outside", name), link);
    const appended = await failure(appendRegular(link, Buffer.from("pwned"), target(name, "append"), LIMIT));
    expect(appended).toMatchObject({ code: "FILE_OUTSIDE_WORKSPACE" });
    expect(appended.message).toContain("became a symlink after the workspace check");
    const read = await failure(readRegular(link, target(name, "read"), LIMIT));
    expect(read).toMatchObject({ code: "FILE_OUTSIDE_WORKSPACE" });
  });
});
