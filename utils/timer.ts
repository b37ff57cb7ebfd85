/**
 * Timers bounded to what Node can schedule. `setTimeout` takes a 32-bit signed delay: anything longer
 * than 2^31-1 ms (24.8 days), and NaN, becomes 1 ms, so a huge Retry-After or deadline would fire at once
 * (and a retry loop would spin). Every timer an input controls goes through here.
 */

/** The longest delay `setTimeout` honours, in ms (about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A delay Node can schedule: at least 0, at most MAX_TIMER_MS; NaN and negatives are 0, +Infinity the maximum. */
export function clampDelay(ms: number): number {
  if (Number.isNaN(ms) || ms <= 0) return 0;
  return Math.min(ms, MAX_TIMER_MS);
}

/** A timer that may be longer than one `setTimeout`. */
export interface LongTimer {
  clear(): void;
}

/**
 * Call `fn` once after `ms`, for any `ms`: a delay beyond MAX_TIMER_MS is chained in steps (measured on a
 * monotonic clock), never clamped to 1 ms. `unref`: the timer does not keep the process alive.
 * +Infinity never fires; NaN and negatives fire on the next turn.
 */
export function setLongTimeout(fn: () => void, ms: number, options: { unref?: boolean } = {}): LongTimer {
  const due = performance.now() + (Number.isNaN(ms) ? 0 : Math.max(0, ms));
  let timer: NodeJS.Timeout | undefined;
  let cleared = false;
  const arm = () => {
    const left = due - performance.now();
    if (left <= 0) {
      fn();
      return;
    }
    timer = setTimeout(arm, clampDelay(Math.ceil(left)));
    if (options.unref) timer.unref();
  };
  timer = setTimeout(arm, clampDelay(due - performance.now()));
  if (options.unref) timer.unref();
  return {
    clear: () => {
      if (cleared) return;
      cleared = true;
      clearTimeout(timer);
    },
  };
}
