import { AsyncLocalStorage } from "node:async_hooks";
import { ErrorCode, WorkflowError } from "../../model/errors.js";

/** One attempt in flight: how to fail it from outside its promise chain. */
interface Attempt {
  settled: boolean;
  fail(err: unknown): void;
}

/**
 * Which attempt is running, across callbacks: a socket, timer or promise created during an attempt keeps the
 * attempt's context, so an error thrown there (not into the attempt's promise) can still be pinned on it.
 */
const running = new AsyncLocalStorage<Attempt>();
let inFlight = 0;

/**
 * Run one action attempt so that an error escaping from it (thrown in a driver's event handler or a timer, or a
 * promise rejection nobody handles) fails this attempt with INTERNAL_ERROR instead of ending the process. Every
 * action attempt goes through it (src/actions/registry.ts runAction); call it around any other code that runs
 * an action. An error that no running attempt owns gets Node's default: it is printed and the process exits 1
 * (unless the application has its own 'uncaughtException' handler, which then decides).
 */
export function guardAttempt<T>(work: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const attempt: Attempt = {
      settled: false,
      fail: (err) => settle(() => reject(escapedError(err))),
    };
    const settle = (end: () => void) => {
      if (attempt.settled) return;
      attempt.settled = true;
      release();
      end();
    };
    acquire();
    running.run(attempt, () => {
      Promise.resolve()
        .then(work)
        .then(
          (value) => settle(() => resolve(value)),
          (err: unknown) => settle(() => reject(err)),
        );
    });
  });
}

function acquire(): void {
  if (inFlight++ === 0) process.on("uncaughtException", onEscape);
}

function release(): void {
  if (--inFlight === 0) process.removeListener("uncaughtException", onEscape);
}

/** 'uncaughtException' (and, in Node's default mode, an unhandled rejection): fail the attempt that owns it. */
function onEscape(err: unknown): void {
  const attempt = running.getStore();
  if (attempt && !attempt.settled) {
    attempt.fail(err);
    return;
  }
  // Not ours: with no other handler, do what Node does without one.
  if (process.listenerCount("uncaughtException") > 1) return;
  process.stderr.write(`Uncaught ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}

function escapedError(err: unknown): WorkflowError {
  const reason = err instanceof Error ? err.message : String(err);
  const code = typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : undefined;
  return new WorkflowError(
    ErrorCode.Internal,
    `An error escaped from the action (thrown outside its promise, e.g. in a database driver's callback): ${reason}` +
      `${code ? ` (${code})` : ""}. The attempt failed and the run goes on; report it if it repeats.`,
    { retryable: false, cause: err, details: { escaped: true, ...(code ? { error_code: code } : {}) } },
  );
}
