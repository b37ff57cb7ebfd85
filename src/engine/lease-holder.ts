import { randomUUID } from "node:crypto";
import type { Logger } from "../../utils/logger.js";
import { goneHere, processIdentity } from "../../utils/process-identity.js";
import { describeHolder, ErrorCode, RunBusyError, WorkflowError } from "../model/errors.js";
import { holderInfo, type Lease, type LeaseOwner, type RunLeaseStore } from "../persistence/run-lease.js";

/** How to take a run's lease. */
export interface HoldOptions {
  /** What the holder does: run, resume, approve, reject, delete, prune (shown to whoever finds the run busy). */
  purpose: string;
  /** Seconds to wait while another process holds the lease (Infinity: until it frees); default: refuse at once. */
  waitSeconds?: number;
  /** Stops the wait. */
  signal?: AbortSignal;
}

interface Held {
  token: string;
  /** performance.now() after which this process can no longer be sure it holds the lease. */
  validUntil: number;
  controller: AbortController;
  renewing: boolean;
  lost?: WorkflowError;
  cancelled?: boolean;
}

/** This process as a lease owner: host, pid, and where that pid means this process. */
export { processIdentity };

/**
 * The leases this engine holds on runs (src/persistence/run-lease.ts has the store side). A lease is
 * taken before a run is driven (or deleted) and renewed every third of its length. The holder counts it
 * valid until two thirds of its length after the last renewal it sent, a margin before anyone else may
 * take it; past that, or when a renewal finds another token, the lease is lost: the work's signal aborts
 * (the run's tasks are cancelled) and `check` (the write fence) refuses every further write of the run.
 */
export class RunLeases {
  private readonly held = new Map<string, Held>();

  constructor(
    private readonly store: RunLeaseStore,
    private readonly ttlMs: number,
    private readonly logger: Logger,
    private readonly me: Omit<LeaseOwner, "token" | "purpose"> = processIdentity(),
  ) {}

  /** Run `work` while holding `runId`'s lease; RUN_BUSY when another holds it, LEASE_LOST when lost meanwhile. */
  async hold<T>(runId: string, options: HoldOptions, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const token = randomUUID();
    const sent = performance.now();
    await this.acquire(runId, { ...this.me, token, purpose: options.purpose }, options);
    const entry: Held = { token, validUntil: sent + (this.ttlMs * 2) / 3, controller: new AbortController(), renewing: false };
    this.held.set(runId, entry);
    const timer = setInterval(() => void this.renew(runId, entry), this.ttlMs / 3);
    timer.unref();
    try {
      return await work(entry.controller.signal);
    } catch (err) {
      throw entry.lost ?? err;
    } finally {
      clearInterval(timer);
      this.held.delete(runId);
      if (!entry.lost)
        await this.store.release(runId, token).catch((err: Error) => this.logger.warn({ runId, err: err.message }, "lease release failed"));
    }
  }

  /** The write fence: throws LEASE_LOST when this engine held `runId`'s lease and lost it (or cannot be sure it holds it). */
  async check(runId: string): Promise<void> {
    const entry = this.held.get(runId);
    if (!entry) return;
    // Past the time it can vouch for (a busy or blocked event loop delayed the renewals): the lease is still
    // this process's if a renewal by its token succeeds now, since nobody else can have written meanwhile
    // without taking it first; otherwise it is lost.
    if (!entry.lost && performance.now() > entry.validUntil) await this.renew(runId, entry, true);
    if (entry.lost) throw entry.lost;
  }

  private async acquire(runId: string, owner: LeaseOwner, options: HoldOptions): Promise<void> {
    const started = performance.now();
    const deadline = started + (options.waitSeconds ?? 0) * 1000;
    for (;;) {
      let got = await this.store.acquire(runId, owner, this.ttlMs);
      if (!got.acquired && this.deadHere(got.holder)) {
        const gone = holderInfo(got.holder);
        got = await this.store.acquire(runId, owner, this.ttlMs, got.holder.token);
        if (got.acquired) this.logger.info({ runId, holder: gone }, "took over the lease of a holder whose process is gone");
      }
      if (got.acquired) return;
      const now = performance.now();
      if (now >= deadline) throw new RunBusyError(runId, holderInfo(got.holder), options.waitSeconds ? now - started : undefined);
      await pause(Math.min(250, this.ttlMs / 4, deadline - now), options.signal);
    }
  }

  /** A holder on this machine, in this pid namespace, whose process no longer exists (killed, crashed). */
  private deadHere(holder: Lease): boolean {
    return goneHere(holder, this.me);
  }

  private async renew(runId: string, entry: Held, late = false): Promise<void> {
    if (entry.lost || (entry.renewing && !late)) return;
    const overdue = performance.now() > entry.validUntil;
    entry.renewing = true;
    const sent = performance.now();
    try {
      const renewed = await this.store.renew(runId, entry.token, this.ttlMs);
      if (renewed) {
        entry.validUntil = sent + (this.ttlMs * 2) / 3;
        if (renewed.cancelReason !== undefined) this.cancel(runId, renewed.cancelReason);
      } else if (this.held.get(runId) === entry) {
        const holder = await this.store.holder(runId).catch(() => undefined);
        this.lose(runId, entry, holder ? `the lease is now held by ${describeHolder(holderInfo(holder))}` : "the lease was removed");
      }
    } catch (err) {
      if (overdue) this.lose(runId, entry, "its lease ran out before a renewal succeeded");
      else this.logger.warn({ runId, err: (err as Error).message }, "lease renewal failed; retrying");
    } finally {
      entry.renewing = false;
    }
  }

  /**
   * Cancel the run this engine drives under `runId`'s lease: its work's signal aborts with `reason` (the run
   * ends as cancelled, and its outcome is written: the lease is not lost). False when this engine holds no
   * lease on it.
   */
  cancel(runId: string, reason: string): boolean {
    const entry = this.held.get(runId);
    if (!entry || entry.lost) return false;
    if (!entry.cancelled) {
      entry.cancelled = true;
      this.logger.info({ runId, reason }, "run cancelled on request");
      entry.controller.abort(reason);
    }
    return true;
  }

  /** Ask the process that holds `runId`'s lease to cancel it (read at its next renewal); false when nobody holds it. */
  requestCancel(runId: string, reason: string): Promise<boolean> {
    return this.store.requestCancel(runId, reason);
  }

  private lose(runId: string, entry: Held, why: string): void {
    if (entry.lost) return;
    entry.lost = new WorkflowError(
      ErrorCode.LeaseLost,
      `This process lost the lease on run "${runId}" (${why}) and stopped driving it; nothing more of it is written from here. ` +
        `See the run with: runs show ${runId}`,
      { details: { run_id: runId, why } },
    );
    this.logger.warn({ runId, why }, "run lease lost: cancelling the run here");
    entry.controller.abort(entry.lost);
  }
}

/** Wait `ms`, or until `signal` aborts (then throw its reason). */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
