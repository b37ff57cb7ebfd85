import type pg from "pg";
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
 * Run leases in a PostgreSQL schema, beside the run records. The server's clock decides expiry (the
 * processes may be on several machines). `INSERT ... ON CONFLICT DO UPDATE ... WHERE` takes the row lock
 * and re-checks the condition on the latest row, so of several processes acquiring at once exactly one
 * gets the lease. No advisory lock: a session lock would pin a pool connection for a whole run and does
 * not survive a transaction-mode pooler; the row is the lock, and the holder's renewals prove it alive.
 */
export class PostgresLeaseStore implements RunLeaseStore {
  private readonly table: string;

  private constructor(
    private readonly pool: pg.Pool,
    schema: string,
  ) {
    this.table = `"${schema}".workflow_run_leases`;
  }

  /** Create the table if needed (the schema exists: the checkpointer's setup made it). */
  static async open(pool: pg.Pool, schema: string): Promise<PostgresLeaseStore> {
    const store = new PostgresLeaseStore(pool, schema);
    await pool.query(`CREATE TABLE IF NOT EXISTS ${store.table} (
      run_id TEXT PRIMARY KEY, token TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL, pid_scope TEXT,
      purpose TEXT NOT NULL, since TIMESTAMPTZ NOT NULL, until TIMESTAMPTZ NOT NULL, cancel_reason TEXT)`);
    // Schemas made before cancel requests existed get the column.
    await pool.query(`ALTER TABLE ${store.table} ADD COLUMN IF NOT EXISTS cancel_reason TEXT`);
    return store;
  }

  private get returning(): string {
    return `RETURNING ${LEASE_READ_COLUMNS}, until <= clock_timestamp() AS expired`;
  }

  async acquire(runId: string, owner: LeaseOwner, ttlMs: number, replacing?: string): Promise<Acquired> {
    const { rows } = await this.pool.query(
      `INSERT INTO ${this.table} AS l (${LEASE_COLUMNS})
       VALUES ($1, $2, $3, $4, $5, $6, clock_timestamp(), clock_timestamp() + $7::float8 * interval '1 millisecond')
       ON CONFLICT (run_id) DO UPDATE SET token = EXCLUDED.token, host = EXCLUDED.host, pid = EXCLUDED.pid,
         pid_scope = EXCLUDED.pid_scope, purpose = EXCLUDED.purpose, since = EXCLUDED.since, until = EXCLUDED.until,
         cancel_reason = NULL
       WHERE l.until <= clock_timestamp() OR l.token = $8
       ${this.returning}`,
      [runId, owner.token, owner.host, owner.pid, owner.pidScope ?? null, owner.purpose, ttlMs, replacing ?? null],
    );
    if (rows[0]) return { acquired: true, lease: leaseFromRow(rows[0] as Record<string, unknown>, Date.now()) };
    const holder = await this.holder(runId);
    if (!holder) return this.acquire(runId, owner, ttlMs, replacing); // released in between: try again
    return { acquired: false, holder };
  }

  async renew(runId: string, token: string, ttlMs: number): Promise<Lease | undefined> {
    const { rows } = await this.pool.query(
      `UPDATE ${this.table} SET until = clock_timestamp() + $3::float8 * interval '1 millisecond' WHERE run_id = $1 AND token = $2 ${this.returning}`,
      [runId, token, ttlMs],
    );
    return rows[0] ? leaseFromRow(rows[0] as Record<string, unknown>, Date.now()) : undefined;
  }

  async release(runId: string, token: string): Promise<void> {
    await this.pool.query(`DELETE FROM ${this.table} WHERE run_id = $1 AND token = $2`, [runId, token]);
  }

  async holder(runId: string): Promise<Lease | undefined> {
    const { rows } = await this.pool.query(
      `SELECT ${LEASE_READ_COLUMNS}, until <= clock_timestamp() AS expired FROM ${this.table} WHERE run_id = $1`,
      [runId],
    );
    return rows[0] ? leaseFromRow(rows[0] as Record<string, unknown>, Date.now()) : undefined;
  }

  async requestCancel(runId: string, reason: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE ${this.table} SET cancel_reason = $2 WHERE run_id = $1 AND until > clock_timestamp()`,
      [runId, reason],
    );
    return (rowCount ?? 0) > 0;
  }
}
