import { constants, existsSync, readdirSync } from "node:fs";
import { copyFile, mkdir, readdir, readFile, rename, rm } from "node:fs/promises";
import { homedir, hostname } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { PGlite } from "@electric-sql/pglite";

/**
 * Settings every embedded database starts with (src/actions/db-query/pglite-open.ts). PostgreSQL's default
 * shared_buffers (128MB) is zeroed at every start, which was most of a reopen's CPU; an embedded database for
 * a workflow's queries reads through the OS page cache and does not need it.
 */
export const PGLITE_START_SETTINGS = ["shared_buffers=16MB"] as const;

/**
 * initdb's options for the template: 1 MB WAL segments instead of 16 MB, and at most two kept for reuse,
 * so that a workspace's copy is about 25 MB, not 39 MB.
 */
const INITDB_PARAMS = ["--wal-segsize=1", "-c", "min_wal_size=2MB"];
/** Part of the template's folder name: bump it when INITDB_PARAMS or the template's preparation change. */
const TEMPLATE_LAYOUT = "t1";

/** The folder that holds one initialised data directory per PGlite version: WORKFLOW_CACHE_DIR, else the user's cache. */
export function defaultTemplateRoot(env: Record<string, string | undefined>): string {
  if (env.WORKFLOW_CACHE_DIR) return path.resolve(env.WORKFLOW_CACHE_DIR);
  return path.join(env.XDG_CACHE_HOME || path.join(homedir(), ".cache"), "agentic-workflow-engine");
}

/** The installed PGlite's version: a template made by another version is not reused. */
async function pgliteVersion(): Promise<string> {
  const entry = fileURLToPath(import.meta.resolve("@electric-sql/pglite"));
  const pkg = JSON.parse(await readFile(path.join(path.dirname(entry), "..", "package.json"), "utf8")) as { version?: string };
  return pkg.version ?? "unknown";
}

/** True when `dir` holds an initialised PostgreSQL data directory. */
export function isDataDir(dir: string): boolean {
  return existsSync(path.join(dir, "PG_VERSION"));
}

function isEmptyOrMissing(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0;
}

/** A sibling name no other process uses: work happens there and is renamed into place when complete. */
function scratchBeside(dir: string): string {
  return `${dir}.tmp-${hostname()}-${process.pid}-${Date.now()}`;
}

/**
 * The machine's template data directory, created (initdb, the slow part: 10-20 s) the first time any
 * workspace needs one. It is built beside its final name and renamed into place, so a crash leaves no
 * half template, and two processes that build it at once both succeed (the second's copy is dropped).
 */
export async function ensureTemplate(root: string, onCreate: (dir: string) => void): Promise<string> {
  const dir = path.join(root, `pglite-${await pgliteVersion()}-${TEMPLATE_LAYOUT}`);
  if (isDataDir(dir)) return dir;
  onCreate(dir);
  await mkdir(root, { recursive: true });
  const scratch = scratchBeside(dir);
  try {
    const { PGlite } = await import("@electric-sql/pglite");
    const db: PGlite = await PGlite.create(scratch, { initDbStartParams: INITDB_PARAMS });
    await db.exec("CHECKPOINT");
    const current = await db.query<{ name: string }>("SELECT pg_walfile_name(pg_current_wal_lsn()) AS name");
    await db.close();
    await dropPreallocatedWal(scratch, current.rows[0]?.name);
    await rename(scratch, dir).catch((err: unknown) => {
      if (!isDataDir(dir)) throw err; // another process put its template in place first: use that one
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return dir;
}

/**
 * WAL segments after the current one were only made ready for reuse; PostgreSQL creates them again when
 * it needs them. Not copying them into every workspace saves 5 MB each.
 */
async function dropPreallocatedWal(dataDir: string, current: string | undefined): Promise<void> {
  if (!current || !/^[0-9A-F]{24}$/.test(current)) return;
  const wal = path.join(dataDir, "pg_wal");
  for (const name of readdirSync(wal)) {
    if (/^[0-9A-F]{24}$/.test(name) && name > current) await rm(path.join(wal, name));
  }
}

/**
 * Copy a data directory: folders private to the user (as PostgreSQL wants its data), files copy-on-write
 * where the filesystem can. A quarter of fs.cp's CPU on the template's ~1,000 files (0.13 s vs 0.53 s).
 */
async function copyTree(from: string, to: string): Promise<void> {
  await mkdir(to, { mode: 0o700 });
  const entries = await readdir(from, { withFileTypes: true });
  await Promise.all(
    entries.map((e) =>
      e.isDirectory()
        ? copyTree(path.join(from, e.name), path.join(to, e.name))
        : copyFile(path.join(from, e.name), path.join(to, e.name), constants.COPYFILE_FICLONE),
    ),
  );
}

/**
 * Give a workspace its own database by copying the template (a plain file copy, 0.1-0.3 s) instead of running
 * initdb in it. Copied beside and renamed into place: a crash mid-copy leaves the workspace without a
 * database, never with half of one. Returns false when `dataDir` already holds files (left as they are).
 */
export async function seedFromTemplate(dataDir: string, template: string): Promise<boolean> {
  if (!isEmptyOrMissing(dataDir)) return false;
  const scratch = scratchBeside(dataDir);
  try {
    await copyTree(template, scratch);
    await rm(dataDir, { recursive: true, force: true });
    await rename(scratch, dataDir);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return true;
}
