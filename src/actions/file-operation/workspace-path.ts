import { lstat, readlink, realpath } from "node:fs/promises";
import path from "node:path";
import { ErrorCode, WorkflowError } from "../../model/errors.js";

/** A workspace path after the jail check. */
export interface WorkspacePath {
  /** Lexically resolved absolute path (symlinks not followed): what `delete` removes. */
  readonly absolute: string;
  /** The same path with every symlink resolved; known to be inside the workspace. */
  readonly real: string;
  /** Workspace-relative, with forward slashes ("." for the workspace itself). */
  readonly relative: string;
}

const MAX_LINKS = 40;

/**
 * Resolve `relPath` inside `workspace`, refusing NUL bytes, absolute paths, any `..` segment and
 * symlinks (existing or dangling, at any level) that lead outside. Throws FILE_OUTSIDE_WORKSPACE.
 */
export async function resolveInWorkspace(workspace: string, relPath: string): Promise<WorkspacePath> {
  if (relPath.includes("\0")) throw outside(relPath, workspace, "it contains a NUL byte");
  if (path.isAbsolute(relPath) || path.win32.isAbsolute(relPath)) {
    throw outside(relPath, workspace, "it is absolute; give a path relative to the workspace");
  }
  // Refused even when it would stay inside: a path that never climbs is easy to check by eye.
  if (relPath.split(/[\\/]/).includes("..")) {
    throw outside(relPath, workspace, "it has a '..' segment; name the file from the workspace down instead");
  }
  const root = await realpath(workspace).catch((err: unknown) => {
    throw new WorkflowError(
      ErrorCode.FileError,
      `The workspace ${workspace} cannot be used (${err instanceof Error ? err.message : String(err)}). ` +
        "Create it, or choose another workspace folder.",
      { retryable: false, cause: err, details: { workspace } },
    );
  });
  const absolute = path.resolve(root, relPath);
  if (!isInside(root, absolute)) throw outside(relPath, workspace, `it resolves to ${absolute}`);
  const real = await realpathLoose(absolute, 0);
  if (!isInside(root, real)) throw outside(relPath, workspace, `it leads through a symlink to ${real}`);
  const relative = path.relative(root, absolute).split(path.sep).join("/");
  return { absolute, real, relative: relative === "" ? "." : relative };
}

/** True when `candidate` is `root` or below it; compares whole segments so `/ws2` is not inside `/ws`. */
export function isInside(root: string, candidate: string): boolean {
  if (candidate === root) return true;
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  return candidate.startsWith(prefix);
}

/**
 * Like fs.realpath, but for a path that does not exist yet: resolves the nearest existing parent
 * and follows dangling symlinks by hand, so a write through a link that points outside is caught.
 */
async function realpathLoose(p: string, links: number): Promise<string> {
  try {
    return await realpath(p);
  } catch (err) {
    if (!isErrno(err, "ENOENT") && !isErrno(err, "ENOTDIR")) throw err;
  }
  const parent = path.dirname(p);
  if (parent === p) return p;
  const realParent = await realpathLoose(parent, links);
  const candidate = path.join(realParent, path.basename(p));
  const stat = await lstat(candidate).catch(() => undefined);
  if (!stat?.isSymbolicLink()) return candidate;
  if (links >= MAX_LINKS) throw Object.assign(new Error(`too many levels of symlinks at ${p}`), { code: "ELOOP" });
  // A dangling link: follow it by hand (relative targets are relative to the link's real folder).
  return realpathLoose(path.resolve(realParent, await readlink(candidate)), links + 1);
}

function outside(relPath: string, workspace: string, why: string): WorkflowError {
  return new WorkflowError(
    ErrorCode.FileOutsideWorkspace,
    `The path "${relPath}" is outside the workspace ${workspace}: ${why}. ` +
      "File operations may only touch files inside the workspace; use a relative path without '..' segments.",
    { retryable: false, details: { path: relPath, workspace } },
  );
}

/** True when `err` is a Node system error with this `code`. */
export function isErrno(err: unknown, code: string): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === code;
}
