import type { LeaseHolderInfo } from "../model/errors.js";

/**
 * Who drives a run: one lease per run, kept beside its records (a row in `workflow_run_leases`), taken
 * atomically (insert, or update only when the lease has expired or its holder is known to be dead) and
 * renewed while the holder drives the run. The store only compares and sets; src/engine/lease-holder.ts
 * renews, waits, and stops a holder that lost its lease.
 */
export interface LeaseOwner {
  /** New for every acquisition: what the compare-and-set compares. */
  token: string;
  host: string;
  pid: number;
  /**
   * Where `pid` names this process (Linux: the kernel's boot id and the pid namespace): a process that
   * shares it can tell whether the holder is still alive. Absent elsewhere (only the host name is compared).
   */
  pidScope?: string;
  /** run, resume, approve, reject, delete, prune. */
  purpose: string;
}

/** A lease as stored, with the store's own clock deciding expiry. */
export interface Lease extends LeaseOwner {
  runId: string;
  /** ISO times. */
  since: string;
  until: string;
  /** True when `until` has passed by the store's clock. */
  expired: boolean;
  /** Set when another process asked the holder to cancel the run (`requestCancel`): the reason given. */
  cancelReason?: string;
}

export type Acquired = { acquired: true; lease: Lease } | { acquired: false; holder: Lease };

export interface RunLeaseStore {
  /**
   * Take the run's lease for `ttlMs` when nobody holds it, when it has expired, or when it is held by the
   * token `replacing` (a holder found dead); otherwise say who holds it. One statement, so of several
   * processes trying at once exactly one gets it.
   */
  acquire(runId: string, owner: LeaseOwner, ttlMs: number, replacing?: string): Promise<Acquired>;
  /** Extend the lease `token` holds by `ttlMs` from now; undefined when `token` no longer holds it. */
  renew(runId: string, token: string, ttlMs: number): Promise<Lease | undefined>;
  /** Give the lease up (nothing happens when `token` no longer holds it). */
  release(runId: string, token: string): Promise<void>;
  /** The lease as stored (maybe expired), or undefined. */
  holder(runId: string): Promise<Lease | undefined>;
  /**
   * Ask whoever holds the run's lease to cancel the run: the reason is kept on the lease row, and the holder
   * reads it with its next renewal. False when nobody holds a live lease (there is no one to ask).
   */
  requestCancel(runId: string, reason: string): Promise<boolean>;
}

/** What RUN_BUSY and LEASE_LOST say about a holder. */
export function holderInfo(lease: Lease): LeaseHolderInfo {
  return { host: lease.host, pid: lease.pid, purpose: lease.purpose, since: lease.since, until: lease.until };
}

/** The lease row columns, shared by the SQL stores. */
export const LEASE_COLUMNS = "run_id, token, host, pid, pid_scope, purpose, since, until";
/** The columns a read returns: the lease, and a cancel request if one was made (a new holder starts without one). */
export const LEASE_READ_COLUMNS = `${LEASE_COLUMNS}, cancel_reason`;

/** A stored row (timestamps as ms numbers or Dates) as a Lease; a boolean `expired` column wins over `now`. */
export function leaseFromRow(row: Record<string, unknown>, now: number): Lease {
  const ms = (v: unknown) => (v instanceof Date ? v.getTime() : Number(v));
  const until = ms(row.until);
  return {
    runId: String(row.run_id),
    token: String(row.token),
    host: String(row.host),
    pid: Number(row.pid),
    ...(row.pid_scope === null || row.pid_scope === undefined ? {} : { pidScope: String(row.pid_scope) }),
    purpose: String(row.purpose),
    since: new Date(ms(row.since)).toISOString(),
    until: new Date(until).toISOString(),
    expired: typeof row.expired === "boolean" ? row.expired : until <= now,
    ...(typeof row.cancel_reason === "string" ? { cancelReason: row.cancel_reason } : {}),
  };
}

/** Leases of runs kept in memory: one process, one map. */
export class MemoryLeaseStore implements RunLeaseStore {
  private readonly leases = new Map<string, { owner: LeaseOwner; since: number; until: number; cancelReason?: string }>();

  constructor(private readonly now: () => number = Date.now) {}

  async acquire(runId: string, owner: LeaseOwner, ttlMs: number, replacing?: string): Promise<Acquired> {
    const now = this.now();
    const held = this.leases.get(runId);
    if (held && held.until > now && held.owner.token !== replacing) return { acquired: false, holder: this.toLease(runId, held) };
    const entry = { owner, since: now, until: now + ttlMs };
    this.leases.set(runId, entry);
    return { acquired: true, lease: this.toLease(runId, entry) };
  }

  async renew(runId: string, token: string, ttlMs: number): Promise<Lease | undefined> {
    const held = this.leases.get(runId);
    if (held?.owner.token !== token) return undefined;
    held.until = this.now() + ttlMs;
    return this.toLease(runId, held);
  }

  async release(runId: string, token: string): Promise<void> {
    if (this.leases.get(runId)?.owner.token === token) this.leases.delete(runId);
  }

  async holder(runId: string): Promise<Lease | undefined> {
    const held = this.leases.get(runId);
    return held && this.toLease(runId, held);
  }

  async requestCancel(runId: string, reason: string): Promise<boolean> {
    const held = this.leases.get(runId);
    if (!held || held.until <= this.now()) return false;
    held.cancelReason = reason;
    return true;
  }

  private toLease(runId: string, e: { owner: LeaseOwner; since: number; until: number; cancelReason?: string }): Lease {
    return {
      runId,
      ...e.owner,
      since: new Date(e.since).toISOString(),
      until: new Date(e.until).toISOString(),
      expired: e.until <= this.now(),
      ...(e.cancelReason === undefined ? {} : { cancelReason: e.cancelReason }),
    };
  }
}
