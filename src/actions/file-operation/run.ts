import { lstat, readdir, rmdir, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { CancelledError, ErrorCode, WorkflowError } from "../../model/errors.js";
import { FileOperationConfig, type FileOperationResult } from "../../model/action-config/file-operation.js";
import { appendRegular, type FileTarget, readRegular, writeAtomic } from "./file-io.js";
import type { ActionHandler } from "../handler.js";
import { captureUndo } from "./undo.js";
import { isErrno, resolveInWorkspace, type WorkspacePath } from "./workspace-path.js";

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
      const io: FileTarget = { operation: config.operation, relative: target.relative };
      const max = ctx.safety.limits.maxFileBytes;
      switch (config.operation) {
        case "read":
          return { path: target.relative, content: await readContent(target, config.encoding, max) };
        case "write": {
          const $undo = await captureUndo(ctx.workspace, ctx.runId, ctx.taskId, target, config.operation);
          return { path: target.relative, bytes_written: await writeAtomic(target.real, toBytes(config, true), io, max), $undo };
        }
        case "append": {
          const $undo = await captureUndo(ctx.workspace, ctx.runId, ctx.taskId, target, config.operation);
          return { path: target.relative, bytes_written: await appendRegular(target.real, toBytes(config, false), io, max), $undo };
        }
        case "delete": {
          const $undo = await captureUndo(ctx.workspace, ctx.runId, ctx.taskId, target, config.operation);
          return { path: target.relative, deleted: await remove(target), $undo };
        }
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
async function readContent(target: WorkspacePath, encoding: "utf8" | "base64", maxBytes: number): Promise<unknown> {
  const bytes = await readRegular(target.real, { operation: "read", relative: target.relative }, maxBytes);
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
          : code === "ELOOP"
            ? "The path goes through a symlink loop (or too many symlinks); fix or remove the symlink."
            : "Check the path and the operation.";
  return new WorkflowError(ErrorCode.FileError, `${operation} "${relPath}" in the workspace ${workspace} failed: ${reason}. ${hint}`, {
    retryable: TRANSIENT.has(code),
    cause: err,
    details,
  });
}
