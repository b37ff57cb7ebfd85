import { createHash } from "node:crypto";
import { lstat, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { FileUndo } from "../../model/file-undo.js";
import { readRegular } from "./file-io.js";
import { isErrno, type WorkspacePath } from "./workspace-path.js";

/** The largest file whose bytes are kept to restore it on rollback: backups live in the run's checkpoints. */
const UNDO_MAX_BYTES = 1024 * 1024;

/** Where a task's undo record is kept between attempts: the state folder of the workspace. */
function recordFile(workspace: string, runId: string, taskId: string): string {
  const name = createHash("sha256").update(`${runId}\u0000${taskId}`).digest("hex");
  return path.join(workspace, ".workflow-state", "undo", `${name}.json`);
}

/**
 * What a write, append or delete is about to replace, recorded before it does. The first attempt's record
 * wins: a later attempt (a retry, or the same attempt again after a crash) may find the file already changed
 * by an earlier one, and must not take that for the original.
 */
export async function captureUndo(
  workspace: string,
  runId: string,
  taskId: string,
  target: WorkspacePath,
  operation: string,
): Promise<FileUndo> {
  const file = recordFile(workspace, runId, taskId);
  const kept = await readFile(file, "utf8").then(
    (text) => JSON.parse(text) as FileUndo,
    () => undefined,
  );
  if (kept?.path === target.relative) return kept;
  const undo = await currentState(target, operation);
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(undo));
  await rename(tmp, file);
  return undo;
}

/** The file as it is; read with the operation's own checks, so a file it may not touch is refused in its name. */
async function currentState(target: WorkspacePath, operation: string): Promise<FileUndo> {
  const info = await lstat(target.absolute).catch((err: unknown) => {
    if (isErrno(err, "ENOENT")) return undefined;
    throw err;
  });
  if (!info) return { path: target.relative, existed: false };
  if (!info.isFile()) return { path: target.relative, existed: true, unavailable: "it is not a regular file" };
  if (info.size > UNDO_MAX_BYTES) {
    return { path: target.relative, existed: true, unavailable: `it was ${info.size} bytes, over the ${UNDO_MAX_BYTES} kept for undo` };
  }
  const bytes = await readRegular(target.real, { operation, relative: target.relative }, UNDO_MAX_BYTES);
  return { path: target.relative, existed: true, content_base64: bytes.toString("base64") };
}
