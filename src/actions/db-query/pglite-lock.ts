import { open, readFile, stat, unlink } from "node:fs/promises";
import { goneHere, type ProcessIdentity, processIdentity } from "../../../utils/process-identity.js";
import { DatabaseBusyError, type DatabaseHolder } from "../../model/errors.js";

/** How long a second process waits for the embedded database before failing with DB_BUSY (retryable). */
const PGLITE_LOCK_WAIT_MS = 30_000;
const POLL_MS = 200;

/** A held lock on a PGlite data directory; `release` is safe to call more than once. */
export interface PgliteLock {
  release(): Promise<void>;
}

/**
 * Take `<dataDir>.lock` before opening the data directory. PGlite is PostgreSQL in single-user mode inside
 * this process: it does not notice another process using the same files, and two that write at once lose
 * each other's commits. The lock file is created exclusively (O_EXCL) and names its holder; a holder on
 * this machine whose process is gone (killed, crashed) is replaced at once. Otherwise this waits up to
 * `waitMs`, then fails with DB_BUSY naming the directory, the holder and what to do.
 */
export async function lockDataDir(
  dataDir: string,
  onWait: (holder: DatabaseHolder | undefined) => void = () => undefined,
  waitMs = PGLITE_LOCK_WAIT_MS,
): Promise<PgliteLock> {
  const file = `${dataDir}.lock`;
  const me: DatabaseHolder = { ...processIdentity(), since: new Date().toISOString() };
  const started = performance.now();
  let told = false;
  for (;;) {
    if (await tryCreate(file, me)) return { release: () => releaseIfMine(file, me) };
    const holder = await readHolder(file);
    if (holder ? goneHere(holder, me) : await leftHalfWritten(file)) {
      // The holder died without closing: its lock is stale. (Two processes that both find it stale at the
      // same moment could both remove it; each then retries the exclusive create, and only one wins.)
      await unlink(file).catch(() => undefined);
      continue;
    }
    const waited = performance.now() - started;
    if (waited >= waitMs) throw new DatabaseBusyError(dataDir, file, holder, waited);
    if (!told) onWait(holder);
    told = true;
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, waitMs - waited)));
  }
}

async function tryCreate(file: string, me: DatabaseHolder): Promise<boolean> {
  try {
    const handle = await open(file, "wx");
    try {
      await handle.writeFile(`${JSON.stringify(me)}\n`);
    } finally {
      await handle.close();
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
}

/** The holder the lock file names; undefined while it is being written or when it is unreadable. */
async function readHolder(file: string): Promise<DatabaseHolder | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, "utf8")) as Partial<DatabaseHolder>;
    if (typeof parsed.host !== "string" || typeof parsed.pid !== "number") return undefined;
    return {
      host: parsed.host,
      pid: parsed.pid,
      since: String(parsed.since ?? "?"),
      ...(parsed.pidScope ? { pidScope: parsed.pidScope } : {}),
    };
  } catch {
    return undefined;
  }
}

/** A lock file still unreadable after a few seconds: its writer died between creating and writing it. */
async function leftHalfWritten(file: string): Promise<boolean> {
  const info = await stat(file).catch(() => undefined);
  return info !== undefined && Date.now() - info.mtimeMs > 5_000;
}

async function releaseIfMine(file: string, me: ProcessIdentity): Promise<void> {
  const holder = await readHolder(file);
  if (holder && holder.host === me.host && holder.pid === me.pid) await unlink(file).catch(() => undefined);
}
