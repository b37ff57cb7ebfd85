import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { RunLeases } from "../../../src/engine/lease-holder.js";
import { ErrorCode, type WorkflowError } from "../../../src/model/errors.js";
import { type Lease, MemoryLeaseStore } from "../../../src/persistence/run-lease.js";
import { silentLogger } from "../../../utils/logger.js";
import { until } from "../../fixtures/graph-harness.js";

/** A lease table that stops answering renewals (the database went away) once `failing` is set. */
class FlakyStore extends MemoryLeaseStore {
  failing = false;
  renewals = 0;
  override async renew(runId: string, token: string, ttlMs: number): Promise<Lease | undefined> {
    this.renewals++;
    if (this.failing) throw new Error("connection refused");
    return super.renew(runId, token, ttlMs);
  }
}

const ME = { host: "h", pid: 1 };

describe("RunLeases", () => {
  it("renews the lease while the work runs, and releases it after", async () => {
    const store = new FlakyStore();
    const leases = new RunLeases(store, 300, silentLogger(), ME);
    const value = await leases.hold("r", { purpose: "run" }, async (signal) => {
      await until(() => store.renewals >= 3, 5000);
      expect(signal.aborted).toBe(false);
      expect((await store.holder("r"))?.expired).toBe(false);
      await leases.check("r");
      return 42;
    });
    expect(value).toBe(42);
    expect(await store.holder("r")).toBeUndefined();
  });

  it("when renewals fail, the lease is given up before it can expire: the work is aborted and writes are refused", async () => {
    const store = new FlakyStore();
    const leases = new RunLeases(store, 300, silentLogger(), ME);
    const outcome = await leases
      .hold("r", { purpose: "resume" }, async (signal) => {
        store.failing = true;
        const [event] = await once(signal, "abort");
        expect(event).toBeDefined();
        // Aborted with a third of the lease left: nobody else may have it yet.
        expect((await store.holder("r"))?.expired).toBe(false);
        const refused = await leases.check("r").then(
          () => undefined,
          (err: WorkflowError) => err,
        );
        expect(refused?.code).toBe(ErrorCode.LeaseLost);
        throw new Error("the work saw the abort");
      })
      .catch((err: WorkflowError) => err);
    expect(outcome.code).toBe(ErrorCode.LeaseLost);
    expect(outcome.message).toBe(
      'This process lost the lease on run "r" (its lease ran out before a renewal succeeded) and stopped driving it; nothing more of it is written from here. See the run with: runs show r',
    );
  });

  it("refuses a held lease with RUN_BUSY at once, or after waiting when asked", async () => {
    const store = new MemoryLeaseStore();
    await store.acquire("r", { ...ME, pid: 7, token: "t", purpose: "run" }, 60_000);
    const leases = new RunLeases(store, 300, silentLogger(), ME);
    let ran = false;
    const work = async () => {
      ran = true;
    };
    await expect(leases.hold("r", { purpose: "resume" }, work)).rejects.toMatchObject({
      code: ErrorCode.RunBusy,
      holder: { pid: 7, purpose: "run" },
    });
    await expect(leases.hold("r", { purpose: "resume", waitSeconds: 0.2 }, work)).rejects.toMatchObject({
      code: ErrorCode.RunBusy,
      message: expect.stringMatching(/\(waited 0\.\d s\)/),
    });
    expect(ran).toBe(false);
    const waiting = leases.hold("r", { purpose: "resume", waitSeconds: Number.POSITIVE_INFINITY }, work);
    await store.release("r", "t");
    await waiting;
    expect(ran).toBe(true);
  });
});
