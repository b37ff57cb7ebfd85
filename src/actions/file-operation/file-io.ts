import { randomBytes } from "node:crypto";
import type { Stats } from "node:fs";
import { constants } from "node:fs";
import { type FileHandle, lstat, mkdir, open, rename, unlink } from "node:fs/promises";
import path from "node:path";
import { ErrorCode, WorkflowError } from "../../model/errors.js";
import { isErrno } from "./workspace-path.js";

/**
 * Low-level file I/O for `file_operation`, on paths the workspace jail has already resolved.
 * Only regular files are opened (never a FIFO, socket or device), the last path component is
 * opened with O_NOFOLLOW (a symlink swapped in after the jail check is refused, not followed),
 * a regular file with more than one hard link is refused (the other name may be outside the workspace),
 * and every read and write is capped at `limits.maxFileBytes`.
 */

// Not defined on Windows; there the checks below fall back to the lstat/fstat type checks.
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
// A FIFO opened without it blocks until the other end opens: the fstat check must get to run.
const NONBLOCK = constants.O_NONBLOCK ?? 0;
const READ_FLAGS = constants.O_RDONLY | NOFOLLOW | NONBLOCK;
const APPEND_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | NOFOLLOW | NONBLOCK;
const CHUNK = 64 * 1024;

/** What a file operation is doing, for messages: the operation and the path as the plan wrote it. */
export interface FileTarget {
  readonly operation: string;
  readonly relative: string;
}

/** Read a regular file whole; FILE_TOO_LARGE when it is (or grows) over `maxBytes`. */
export async function readRegular(file: string, target: FileTarget, maxBytes: number): Promise<Buffer> {
  await refuseSpecial(file, target, false);
  const handle = await openNoFollow(file, READ_FLAGS, target);
  try {
    const info = await handle.stat();
    refuseNonRegular(info, target);
    refuseHardLinked(info, target);
    if (info.size > maxBytes) throw tooLarge(target, info.size, maxBytes);
    return await readCapped(handle, target, maxBytes);
  } finally {
    await handle.close();
  }
}

/**
 * Write to a temp file in the same folder, flush, then rename over the target: never half-written.
 * The rename replaces a symlink at the target rather than following it.
 */
export async function writeAtomic(file: string, bytes: Buffer, target: FileTarget, maxBytes: number): Promise<number> {
  if (bytes.length > maxBytes) throw tooLarge(target, bytes.length, maxBytes);
  await refuseSpecial(file, target, true);
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    // "wx" is O_CREAT|O_EXCL: it never follows a symlink and never opens an existing file.
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

/** Append to a regular file (created if missing); FILE_TOO_LARGE when the result would exceed `maxBytes`. */
export async function appendRegular(file: string, bytes: Buffer, target: FileTarget, maxBytes: number): Promise<number> {
  if (bytes.length > maxBytes) throw tooLarge(target, bytes.length, maxBytes, "the result");
  await refuseSpecial(file, target, true);
  await mkdir(path.dirname(file), { recursive: true });
  const handle = await openNoFollow(file, APPEND_FLAGS, target);
  try {
    const info = await handle.stat();
    refuseNonRegular(info, target);
    // Checked on the opened file (fstat), so a link made after the lstat above is caught before a byte is written.
    refuseHardLinked(info, target);
    if (info.size + bytes.length > maxBytes) throw tooLarge(target, info.size + bytes.length, maxBytes, "the result");
    await handle.writeFile(bytes);
  } finally {
    await handle.close();
  }
  return bytes.length;
}

/** What kind of non-regular file `info` is, for messages; undefined for a regular file. */
function specialKind(info: Stats): string | undefined {
  if (info.isFile()) return undefined;
  if (info.isDirectory()) return "a directory";
  if (info.isSymbolicLink()) return "a symlink";
  if (info.isFIFO()) return "a FIFO (named pipe)";
  if (info.isSocket()) return "a socket";
  if (info.isCharacterDevice()) return "a character device";
  if (info.isBlockDevice()) return "a block device";
  return "not a regular file";
}

/**
 * Refuse before opening: a device must not even be opened (opening some has side effects).
 * A symlink here is left to O_NOFOLLOW (open) or to the rename (write), which both refuse to follow it.
 */
async function refuseSpecial(file: string, target: FileTarget, missingOk: boolean): Promise<void> {
  const info = await lstat(file).catch((err: unknown) => {
    if (missingOk && isErrno(err, "ENOENT")) return undefined;
    throw err;
  });
  if (info && !info.isSymbolicLink()) {
    refuseNonRegular(info, target);
    refuseHardLinked(info, target);
  }
}

/**
 * A hard link is the same file under another name, which the path jail cannot see: the other name may be
 * outside the workspace (`ln /etc/passwd ws/x`). Reading, appending to or writing over such a file is
 * refused like a symlink that leads out (a write-over would replace only this name, but is refused alike
 * so the rule is one rule).
 */
function refuseHardLinked(info: Stats, target: FileTarget): void {
  if (!info.isFile() || info.nlink <= 1) return;
  throw new WorkflowError(
    ErrorCode.FileOutsideWorkspace,
    `${target.operation} "${target.relative}": the file has ${info.nlink} hard links, so it is also reachable under another name, ` +
      "possibly outside the workspace; file_operation does not read or write a file with more than one link. " +
      "Copy the file into the workspace instead of linking it.",
    { retryable: false, details: { path: target.relative, operation: target.operation, links: info.nlink } },
  );
}

function refuseNonRegular(info: Stats, target: FileTarget): void {
  const kind = specialKind(info);
  if (kind === undefined) return;
  const hint =
    kind === "a directory"
      ? target.operation === "read"
        ? 'Use operation "list" to see what is in it'
        : "Choose a file name inside it"
      : "Point the task at a regular file in the workspace: file_operation only reads and writes regular files";
  throw new WorkflowError(ErrorCode.FileError, `${target.operation} "${target.relative}": it is ${kind}, not a regular file. ${hint}.`, {
    retryable: false,
    details: { path: target.relative, operation: target.operation, kind },
  });
}

async function openNoFollow(file: string, flags: number, target: FileTarget): Promise<FileHandle> {
  try {
    return await open(file, flags, 0o666);
  } catch (err) {
    // The jail resolved every symlink, so a link here was put in place after the check.
    if (NOFOLLOW !== 0 && isErrno(err, "ELOOP")) {
      throw new WorkflowError(
        ErrorCode.FileOutsideWorkspace,
        `${target.operation} "${target.relative}": the file became a symlink after the workspace check; ` +
          "it was not followed. Make sure nothing else changes the workspace while the run is going, then run again.",
        { retryable: false, cause: err, details: { path: target.relative, operation: target.operation } },
      );
    }
    throw err;
  }
}

async function readCapped(handle: FileHandle, target: FileTarget, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(CHUNK), 0, CHUNK, null);
    if (bytesRead === 0) return Buffer.concat(chunks, total);
    total += bytesRead;
    // The file grew after fstat (or reports no size): stop at the limit instead of reading on.
    if (total > maxBytes) throw tooLarge(target, total, maxBytes, "what was read so far");
    chunks.push(buffer.subarray(0, bytesRead));
  }
}

function tooLarge(target: FileTarget, bytes: number, limit: number, what = "the file"): WorkflowError {
  const which = target.operation === "read" ? "Read a smaller file" : "Write less data";
  return new WorkflowError(
    ErrorCode.FileTooLarge,
    `${target.operation} "${target.relative}": ${what} is ${bytes} bytes, over the limit of ${limit} bytes ` +
      `(limits.maxFileBytes). ${which}, or raise limits.maxFileBytes in the engine's safety settings.`,
    {
      retryable: false,
      details: { path: target.relative, operation: target.operation, bytes, limit, setting: "limits.maxFileBytes" },
    },
  );
}
