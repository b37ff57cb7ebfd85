import type { ApproveMode } from "../model/approve-mode.js";
import type { Limits, RunSafety } from "../model/safety-policy.js";

/**
 * What a worker's own safety flags say. They only ever narrow the run's policy, which comes with the job (fixed
 * when the run started): a worker cannot trust a host, allow a write or raise a limit the run did not.
 */
export interface WorkerSafety {
  /** When given, only these of the run's trusted hosts stay trusted on this worker (entries compared as written). */
  allowHosts?: readonly string[];
  /** false: no db_query writes on this worker, whatever the run allows. */
  allowWrites?: boolean;
  /** "never": mutating tasks are refused on this worker. */
  approve?: Extract<ApproveMode, "never">;
  /** Each limit given is a ceiling: the smaller of the run's and the worker's applies. */
  limits?: Partial<Limits>;
}

/** The policy an attempt runs under on this worker: the run's, narrowed by the worker's flags. */
export function narrowSafety(run: RunSafety, worker: WorkerSafety): RunSafety {
  const hosts = worker.allowHosts;
  const limits = { ...run.limits };
  for (const [key, value] of Object.entries(worker.limits ?? {}) as [keyof Limits, number | undefined][]) {
    if (value === undefined) continue;
    const current = limits[key];
    limits[key] = current === undefined ? value : Math.min(current, value);
  }
  return {
    ...run,
    trustedHosts: hosts ? run.trustedHosts.filter((h) => hosts.includes(h)) : run.trustedHosts,
    allowWrites: run.allowWrites && worker.allowWrites !== false,
    approve: worker.approve ?? run.approve,
    limits,
  };
}
