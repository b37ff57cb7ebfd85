import { randomBytes } from "node:crypto";
import { appendFile, lstat, mkdir, open, readdir, readFile, rename, rmdir, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { CancelledError, ErrorCode, WorkflowError } from "../errors.js";
import { FileOperationConfig, type FileOperationResult } from "./file-operation.schema.js";
import type { ActionHandler } from "./handler.js";
import { isErrno, resolveInWorkspace, type WorkspacePath } from "./workspace-path.js";

/** Files larger than this are not read into run state. */
const MAX_READ_BYTES = 50 * 1024 * 1024;
/** Errors worth another attempt: the file system was busy, not wrong. */
const TRANSIENT = new Set(["EBUSY", "EAGAIN", "EMFILE", "ENFILE", "ETIMEDOUT"]);

type Entry = { name: string; type: "file" | "directory" | "other"; size: number };

/** `file_operation`: read, write, append, delete, list or test a file inside the workspace. */
export const fileOperation = {
  type: "file_operation",
  schema: FileOperationConfig,
  async run(config, ctx): Promise<FileOperationResult> {
    if (ctx.signal.aborted) throw new CancelledError("file_operation was cancelled");
    try {
      const target = await resolveInWorkspace(ctx.workspace, config.path);
      switch (config.operation) {
        case "read":
          return { path: target.relative, content: await readContent(target, config.encoding) };
        case "write":
          return { path: target.relative, bytes_written: await writeAtomic(target.real, toBytes(config, true)) };
        case "append":
          return { path: target.relative, bytes_written: await appendBytes(target.real, toBytes(config, false)) };
        case "delete":
          return { path: target.relative, deleted: await remove(target) };
        case "list":
          return { path: target.relative, entries: await list(target.real) };
        case "exists":
          return { path: target.relative, exists: await exists(target.real) };
      }
    } catch (err) {
      throw toFileError(err, config.operation, config.path, ctx.workspace);
    }
  },
} satisfies ActionHandler<typeof FileOperationConfig, FileOperationResult>;

/** `.json` files are parsed; otherwise a string (base64 when asked). */
async function readContent(target: WorkspacePath, encoding: "utf8" | "base64"): Promise<unknown> {
  const info = await stat(target.real);
  if (info.isDirectory()) throw fileError(`"${target.relative}" is a directory; use operation "list"`);
  if (info.size > MAX_READ_BYTES) {
    throw fileError(`"${target.relative}" is ${info.size} bytes, over the 50 MB read limit; read a smaller file`);
  }
  const bytes = await readFile(target.real);
  if (encoding === "base64") return bytes.toString("base64");
  const text = bytes.toString("utf8");
  if (path.extname(target.real).toLowerCase() !== ".json") return text;
  try {
    return JSON.parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw fileError(`"${target.relative}" is not valid JSON (${reason}); fix the file or read it under another name`);
  }
}

/**
 * Strings are written as-is (decoded when encoding is base64); other values as JSON: pretty with a
 * trailing newline for write, one compact line for append (so appends build a JSON Lines file).
 */
function toBytes(config: FileOperationConfig, pretty: boolean): Buffer {
  const { content, encoding } = config;
  if (typeof content === "string") return Buffer.from(content, encoding === "base64" ? "base64" : "utf8");
  const json = pretty ? JSON.stringify(content, null, 2) : JSON.stringify(content);
  return Buffer.from(`${json ?? "null"}\n`, "utf8");
}

/** Write to a temp file in the same folder, flush, then rename over the target: never half-written. */
async function writeAtomic(file: string, bytes: Buffer): Promise<number> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const handle = await open(temp, "wx");
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  return bytes.length;
}

async function appendBytes(file: string, bytes: Buffer): Promise<number> {
  await mkdir(path.dirname(file), { recursive: true });
  await appendFile(file, bytes);
  return bytes.length;
}

/** Removes a file, a symlink (not its target) or an empty folder; a missing path is `false`, not an error. */
async function remove(target: WorkspacePath): Promise<boolean> {
  if (target.relative === ".") throw fileError("refusing to delete the workspace itself");
  const info = await lstat(target.absolute).catch((err: unknown) => {
    if (isErrno(err, "ENOENT")) return undefined;
    throw err;
  });
  if (info === undefined) return false;
  if (info.isDirectory()) await rmdir(target.absolute);
  else await unlink(target.absolute);
  return true;
}

/** Entries sorted by name; symlinks are reported as "other" and not followed. */
async function list(dir: string): Promise<Entry[]> {
  const names = (await readdir(dir)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return Promise.all(
    names.map(async (name): Promise<Entry> => {
      const info = await lstat(path.join(dir, name));
      const type = info.isFile() ? "file" : info.isDirectory() ? "directory" : "other";
      return { name, type, size: type === "file" ? info.size : 0 };
    }),
  );
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (err) {
    if (isErrno(err, "ENOENT") || isErrno(err, "ENOTDIR")) return false;
    throw err;
  }
}

function fileError(message: string): WorkflowError {
  return new WorkflowError(ErrorCode.FileError, `${message}.`, { retryable: false });
}

/** Map a Node file-system error to FILE_NOT_FOUND or FILE_ERROR, saying what to do. */
function toFileError(err: unknown, operation: string, relPath: string, workspace: string): WorkflowError {
  if (err instanceof WorkflowError) return err;
  const code = typeof err === "object" && err !== null ? String((err as { code?: unknown }).code ?? "") : "";
  const details = { path: relPath, workspace, operation, errno: code || undefined };
  if (code === "ENOENT") {
    return new WorkflowError(
      ErrorCode.FileNotFound,
      `${operation}: no file or folder "${relPath}" in the workspace ${workspace}. ` +
        "Check the path, or create the file in an earlier task that this one depends on.",
      { retryable: false, cause: err, details },
    );
  }
  const reason = err instanceof Error ? err.message : String(err);
  const hint =
    code === "EACCES" || code === "EPERM"
      ? "Check the file's permissions."
      : code === "ENOTEMPTY"
        ? "Only empty folders can be deleted; delete the files in it first."
        : code === "ENOSPC"
          ? "Free some disk space."
          : "Check the path and the operation.";
  return new WorkflowError(
    ErrorCode.FileError,
    `${operation} "${relPath}" in the workspace ${workspace} failed: ${reason}. ${hint}`,
    { retryable: TRANSIENT.has(code), cause: err, details },
  );
}
