import { CancelledError } from "../../model/errors.js";

/**
 * Settle with `work`, or reject with CancelledError as soon as `signal` aborts. `late` receives a value
 * that arrives after the abort (to release it); `onAbort` runs once when the abort wins.
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal, late: (value: T) => void, onAbort?: () => void): Promise<T> {
  if (signal.aborted) {
    work.then(late, () => undefined);
    onAbort?.();
    return Promise.reject(new CancelledError("the SQL query was cancelled"));
  }
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      work.then(late, () => undefined);
      onAbort?.();
      reject(new CancelledError("the SQL query was cancelled"));
    };
    signal.addEventListener("abort", abort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", abort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", abort);
        reject(err);
      },
    );
  });
}

/** Throw CancelledError once `signal` has aborted: a step the caller gave up on is not started. */
export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new CancelledError("the SQL query was cancelled");
}
