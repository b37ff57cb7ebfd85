import { setFlagsFromString } from "node:v8";
import type { PGlite } from "@electric-sql/pglite";
import type { Logger } from "../../../utils/logger.js";
import { lockDataDir } from "./pglite-lock.js";
import { ensureTemplate, isDataDir, PGLITE_START_SETTINGS, seedFromTemplate } from "./pglite-template.js";

/**
 * V8 recompiles a WebAssembly function with its optimising compiler once it has run for a budget
 * (default ~1.8 MB of code executed). PGlite's start and first queries run thousands of functions just
 * past it, so a short CLI run spent ~1.2 s CPU optimising code it then hardly ran, and its exit waited
 * ~0.9 s for those compile jobs. A budget 100 times larger leaves start-up on the baseline compiler while
 * a long query's hot loops are still optimised. It is a process-wide V8 flag; it only concerns WebAssembly
 * (PGlite, libpg-query), set here because only the embedded database needs it.
 */
const WASM_TIERING = "--wasm-tiering-budget=180000000";

/** Where the embedded database lives and how its start is reported. */
export interface PgliteLocation {
  /** The workspace's data directory (`<stateDir>/pglite`). */
  dataDir: string;
  /** The folder of the machine's template data directories (default: the user's cache). */
  templateRoot: string;
  logger: Logger;
  /** One line for the user while the database starts (the CLI prints it on stderr). */
  onNotice?: (message: string) => void;
}

/** An open embedded database and the lock that keeps other processes out of its files. */
export interface OpenedPglite {
  db: PGlite;
  close(): Promise<void>;
}

/**
 * Lock the data directory, give it a database if it has none (a copy of the machine's template, so initdb
 * runs once per machine, not once per workspace), then start PGlite on it. Unlocked again if the start fails.
 */
export async function openPglite(where: PgliteLocation): Promise<OpenedPglite> {
  const { dataDir, logger } = where;
  const started = performance.now();
  const lock = await lockDataDir(dataDir, (holder) => {
    const who = holder ? `pid ${holder.pid} on ${holder.host}` : "another process";
    where.onNotice?.(`Waiting for the embedded database ${dataDir}: ${who} has it open (PGlite serves one process at a time)`);
  });
  try {
    if (!isDataDir(dataDir)) await seedDataDir(where);
    where.onNotice?.(`Starting the embedded database (PGlite) in ${dataDir}`);
    setFlagsFromString(WASM_TIERING);
    const { PGlite, types } = await import("@electric-sql/pglite");
    const db = await PGlite.create(dataDir, {
      startParams: [...PGlite.defaultStartParams, ...PGLITE_START_SETTINGS.flatMap((s) => ["-c", s])],
      // int8 as text, as `pg` returns it: a plan behaves the same on both backends, and no precision is lost.
      parsers: { [types.INT8]: (value: string) => value },
    });
    logger.debug({ dataDir, ms: Math.round(performance.now() - started) }, "embedded PGlite database open");
    return {
      db,
      async close() {
        try {
          if (!db.closed) await db.close();
        } finally {
          await lock.release();
        }
      },
    };
  } catch (err) {
    await lock.release();
    throw err;
  }
}

/** A fresh workspace: copy the template in (creating the template first if this machine has none). */
async function seedDataDir(where: PgliteLocation): Promise<void> {
  const { dataDir, templateRoot, logger } = where;
  try {
    const template = await ensureTemplate(templateRoot, (dir) =>
      where.onNotice?.(`Creating the embedded database template in ${dir} (once per machine, about 15 s)`),
    );
    if (await seedFromTemplate(dataDir, template)) logger.debug({ dataDir, template }, "embedded database copied from the template");
  } catch (err) {
    // No usable cache folder (read-only home, full disk...): PGlite runs initdb in the workspace itself, slowly.
    logger.warn({ err: String(err), templateRoot }, "could not use the embedded database template; initialising in the workspace");
    where.onNotice?.(`Creating the embedded database in ${dataDir} (about 15 s)`);
  }
}
