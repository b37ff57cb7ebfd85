import { CancelledError, ErrorCode, WorkflowError } from "../../model/errors.js";
import type { ActionHandler } from "../handler.js";
import { WAIT_MAX_MS, WaitConfig, type WaitResult } from "../../model/action-config/wait.js";
import { type LongTimer, setLongTimeout } from "../../../utils/timer.js";

/** `wait`: sleep for `seconds` or `ms`, cancellable through the context's signal. */
export const wait = {
  type: "wait",
  schema: WaitConfig,
  async run(config, ctx): Promise<WaitResult> {
    const ms = config.ms !== undefined ? toNumber("ms", config.ms) : toNumber("seconds", config.seconds) * 1000;
    const started = performance.now();
    await sleep(ms, ctx.signal);
    return { waited_ms: Math.round(performance.now() - started) };
  },
} satisfies ActionHandler<typeof WaitConfig, WaitResult>;

/**
 * Resolve after `ms`, or reject with CancelledError as soon as `signal` aborts (the timer is cleared). Any
 * `ms` is honoured: past what one Node timer holds, the wait is chained instead of ending after 1 ms.
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new CancelledError("wait was cancelled"));
      return;
    }
    let timer: LongTimer | undefined;
    const onAbort = () => {
      timer?.clear();
      reject(new CancelledError("wait was cancelled"));
    };
    timer = setLongTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** The schema allows a `{{reference}}` here; by run time it must have become a number within the schema's bounds. */
function toNumber(field: "seconds" | "ms", value: number | string | undefined): number {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  const max = field === "ms" ? WAIT_MAX_MS : WAIT_MAX_MS / 1000;
  if (typeof n !== "number" || !Number.isFinite(n) || n < 0 || n > max) {
    throw new WorkflowError(
      ErrorCode.ActionConfigInvalid,
      `wait: ${field} must be a number from 0 to ${max}, got ${JSON.stringify(value)}. ` +
        "Give a number, or a reference that resolves to one.",
      { retryable: false, details: { field, max } },
    );
  }
  return n;
}
