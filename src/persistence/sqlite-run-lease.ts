import type { Database } from "better-sqlite3";
import {
  type Acquired,
  LEASE_COLUMNS,
  LEASE_READ_COLUMNS,
  type Lease,
  type LeaseOwner,
  leaseFromRow,
  type RunLeaseStore,
} from "./run-lease.js";

/**
 * Run leases in the SQLite file that holds the checkpoints. Every process using the file is on this
 * machine, so the machine's clock (ms since the epoch) decides expiry. Each call is one statement, which
 * SQLite runs under its write lock: a compare-and-set across processes.
 */
export class SqliteLeaseStore implements RunLeaseStore {
  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS workflow_run_leases (
      run_id TEXT PRIMARY KEY, token TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL, pid_scope TEXT,
      purpose TEXT NOT NULL, since INTEGER NOT NULL, until INTEGER NOT NULL, cancel_reason TEXT)`);
    // Files written before cancel requests existed get the column (SQLite has no ADD COLUMN IF NOT EXISTS).
    const columns = db.prepare("PRAGMA table_info(workflow_run_leases)").all() as { name: string }[];
    if (!columns.some((c) => c.name === "cancel_reason")) db.exec("ALTER TABLE workflow_run_leases ADD COLUMN cancel_reason TEXT");
  }

  async acquire(runId: string, owner: LeaseOwner, ttlMs: number, replacing?: string): Promise<Acquired> {
    const now = this.now();
    const changed = this.db
      .prepare(
        `INSERT INTO workflow_run_leases (${LEASE_COLUMNS})
         VALUES (@run_id, @token, @host, @pid, @pid_scope, @purpose, @now, @until)
         ON CONFLICT (run_id) DO UPDATE SET token = excluded.token, host = excluded.host, pid = excluded.pid,
           pid_scope = excluded.pid_scope, purpose = excluded.purpose, since = excluded.since, until = excluded.until,
           cancel_reason = NULL
         WHERE workflow_run_leases.until <= @now OR workflow_run_leases.token = @replacing`,
      )
      .run({
        run_id: runId,
        token: owner.token,
        host: owner.host,
        pid: owner.pid,
        pid_scope: owner.pidScope ?? null,
        purpose: owner.purpose,
        now,
        until: now + ttlMs,
        replacing: replacing ?? null,
      }).changes;
    const row = await this.holder(runId);
    if (!row) return this.acquire(runId, owner, ttlMs, replacing); // released in between: try again
    return changed > 0 && row.token === owner.token ? { acquired: true, lease: row } : { acquired: false, holder: row };
  }

  async renew(runId: string, token: string, ttlMs: number): Promise<Lease | undefined> {
    const changes = this.db
      .prepare("UPDATE workflow_run_leases SET until = ? WHERE run_id = ? AND token = ?")
      .run(this.now() + ttlMs, runId, token).changes;
    return changes > 0 ? this.holder(runId) : undefined;
  }

  async release(runId: string, token: string): Promise<void> {
    this.db.prepare("DELETE FROM workflow_run_leases WHERE run_id = ? AND token = ?").run(runId, token);
  }

  async holder(runId: string): Promise<Lease | undefined> {
    const row = this.db.prepare(`SELECT ${LEASE_READ_COLUMNS} FROM workflow_run_leases WHERE run_id = ?`).get(runId) as
      | Record<string, unknown>
      | undefined;
    return row && leaseFromRow(row, this.now());
  }

  async requestCancel(runId: string, reason: string): Promise<boolean> {
    const changes = this.db
      .prepare("UPDATE workflow_run_leases SET cancel_reason = ? WHERE run_id = ? AND until > ?")
      .run(reason, runId, this.now()).changes;
    return changes > 0;
  }
}
