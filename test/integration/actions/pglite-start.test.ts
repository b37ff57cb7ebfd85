import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { lockDataDir } from "../../../src/actions/db-query/pglite-lock.js";
import { isDataDir, seedFromTemplate } from "../../../src/actions/db-query/pglite-template.js";
import { createSqlClient } from "../../../src/actions/db-query/sql-client.js";
import { ErrorCode } from "../../../src/model/errors.js";
import { processIdentity } from "../../../utils/process-identity.js";
import { silentLogger } from "../../../utils/logger.js";
import { makeTempDir, SQL_SETUP } from "../../fixtures/context.js";
import { failure } from "../../fixtures/errors.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir("wf-pglite-start-"));
});
afterEach(async () => {
  await cleanup();
});

/** A lock file naming `pid` on this machine, as another process would leave it. */
async function lockFileOf(dataDir: string, pid: number): Promise<void> {
  await writeFile(`${dataDir}.lock`, JSON.stringify({ ...processIdentity(), pid, since: "2026-01-01T00:00:00.000Z" }));
}

describe("the embedded database's lock", () => {
  it("fails with DB_BUSY naming the data dir, the holder and what to do when another live process has it", async () => {
    const dataDir = path.join(dir, "pglite");
    await lockFileOf(dataDir, process.ppid); // the parent: alive, and not this process
    const waits: unknown[] = [];
    const err = await failure(lockDataDir(dataDir, (holder) => waits.push(holder), 300));
    expect(err.code).toBe(ErrorCode.DatabaseBusy);
    expect(err.retryable).toBe(true);
    expect(err.message).toContain(`The embedded database ${dataDir} is in use by pid ${process.ppid} on host ${hostname()}`);
    expect(err.message).toContain("set DATABASE_URL");
    expect(err.message).toContain(`delete ${dataDir}.lock`);
    expect(waits).toHaveLength(1);
  });

  it("takes over the lock of a process that is gone", async () => {
    const dataDir = path.join(dir, "pglite");
    const gone = spawnSync(process.execPath, ["-e", "process.pid"]).pid;
    await lockFileOf(dataDir, gone);
    const lock = await lockDataDir(dataDir, () => undefined, 300);
    expect(JSON.parse(await readFile(`${dataDir}.lock`, "utf8"))).toMatchObject({ pid: process.pid });
    await lock.release();
    expect(existsSync(`${dataDir}.lock`)).toBe(false);
  });

  it("lets a waiting opener in once the holder releases", async () => {
    const dataDir = path.join(dir, "pglite");
    const first = await lockDataDir(dataDir);
    const second = lockDataDir(dataDir, () => undefined, 5_000);
    setTimeout(() => void first.release(), 300);
    await (await second).release();
  });
});

describe("a fresh workspace's database", () => {
  it("is a copy of the template, and a folder that already holds files is left alone", async () => {
    const template = path.join(dir, "template");
    await mkdir(path.join(template, "base"), { recursive: true });
    await writeFile(path.join(template, "PG_VERSION"), "18\n");
    await writeFile(path.join(template, "base", "1"), "data");
    const fresh = path.join(dir, "ws", "pglite");
    await mkdir(fresh, { recursive: true }); // an empty folder, as createSqlClient leaves it
    expect(await seedFromTemplate(fresh, template)).toBe(true);
    expect(isDataDir(fresh)).toBe(true);
    expect(await readFile(path.join(fresh, "base", "1"), "utf8")).toBe("data");

    const used = path.join(dir, "used");
    await mkdir(used);
    await writeFile(path.join(used, "keep"), "mine");
    expect(await seedFromTemplate(used, template)).toBe(false);
    expect(isDataDir(used)).toBe(false);
  });

  it("two clients on one data dir take turns: the second opens once the first has closed", async () => {
    const notices: string[] = [];
    const a = await createSqlClient({ stateDir: dir, logger: silentLogger() });
    const b = await createSqlClient({ stateDir: dir, logger: silentLogger(), onNotice: (m) => notices.push(m) });
    const never = new AbortController().signal;
    try {
      await a.query("CREATE TABLE turns (n int)", [], never, SQL_SETUP);
      await a.query("INSERT INTO turns VALUES (1)", [], never, SQL_SETUP);
      const fromB = b.query("INSERT INTO turns VALUES (2) RETURNING n", [], never, SQL_SETUP);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(notices.some((n) => n.startsWith(`Waiting for the embedded database ${path.join(dir, "pglite")}`))).toBe(true);
      await a.close();
      expect((await fromB).rows).toEqual([{ n: 2 }]);
      // Neither write was lost: b opened the files a had closed.
      expect((await b.query("SELECT count(*)::int AS n FROM turns", [], never, SQL_SETUP)).rows).toEqual([{ n: 2 }]);
    } finally {
      await a.close();
      await b.close();
    }
  }, 120_000);
});
