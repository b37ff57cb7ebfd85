import type { Redis } from "ioredis";
import { ErrorCode, WorkflowError } from "../model/errors.js";
import type { Logger } from "../../utils/logger.js";

/** Statuses in which the client is between connections: a command now would only wait and fail. */
const DOWN_STATUSES: readonly string[] = ["close", "reconnecting", "end"];
/** ioredis's message when a command outlives `commandTimeout`. */
const TIMED_OUT = "Command timed out";

/**
 * Whether a Redis client can be used now, decided without hanging. A Redis that refuses connections is
 * seen at once; one that accepts and never answers (a wrong port, a proxy, a frozen server) never becomes
 * `ready`, and ioredis would queue commands for it forever. So the first caller in an outage waits for
 * `ready` at most `waitMs`; after that (or after a command timed out) the outage is known, callers get
 * `false` at once, and the silent socket is dropped so ioredis reconnects in the background. The outage
 * ends when the client is `ready` again. Each Redis feature then degrades exactly as when Redis refuses:
 * one warning, the run goes on, the process exits.
 */
export class RedisAvailability {
  readonly #redis: Redis;
  readonly #logger: Logger;
  readonly #waitMs: number;
  /** Why Redis is unavailable (its last connection error, or silence) until it is ready again; undefined: not known to be down. */
  #down: string | undefined;

  constructor(redis: Redis, logger: Logger, waitMs: number) {
    this.#redis = redis;
    this.#logger = logger;
    this.#waitMs = waitMs;
    redis.on("ready", () => {
      this.#down = undefined;
    });
    // A failed connection (refused, reset, wrong password...) is down until ioredis reconnects to a Redis that answers.
    redis.on("error", (err: unknown) => {
      this.#down = err instanceof Error ? err.message : String(err);
    });
  }

  /** Where the client connects, without credentials: `redis://host:port/db`. */
  get address(): string {
    const { host, port, db, tls } = this.#redis.options;
    return `${tls ? "rediss" : "redis"}://${host ?? "localhost"}:${port ?? 6379}/${db ?? 0}`;
  }

  /** True when Redis answers now, or within `waitMs` for the first caller of an outage. */
  async available(): Promise<boolean> {
    const status = this.#redis.status;
    if (status === "ready") return true;
    if (this.#down !== undefined || DOWN_STATUSES.includes(status)) return false;
    const outcome = await this.#whenReady();
    // A refused connection is reported by ioredis (and retried); only silence is an outage of ours.
    if (outcome === "timeout") this.outage(`it did not answer within ${this.#waitMs} ms`);
    return outcome === "ready";
  }

  /** Note a failed command: a timeout means a silent server, which opens an outage. */
  failed(err: unknown): void {
    if (err instanceof Error && err.message === TIMED_OUT)
      this.outage(`a command got no answer within ${this.#redis.options.commandTimeout ?? "?"} ms`);
  }

  /** Start an outage of silence: warn once, stop waiting, and drop a socket that is connected but silent. */
  outage(reason: string): void {
    if (this.#down !== undefined) return;
    this.#down = reason;
    this.#logger.warn({ redis: this.address, reason }, "Redis does not answer; the plan cache and live events are off until it does");
    if (this.#redis.status === "connect" || this.#redis.status === "ready") this.#redis.disconnect(true);
  }

  /** REDIS_UNAVAILABLE for a command that needs Redis (`runs watch`): where, why, and what to check. */
  unavailable(what: string, cause?: unknown): WorkflowError {
    const reason = cause === undefined ? (this.#down ?? "it does not answer") : cause instanceof Error ? cause.message : String(cause);
    return new WorkflowError(
      ErrorCode.RedisUnavailable,
      `${what} needs Redis, and Redis at ${this.address} (REDIS_URL) is unavailable: ${reason}. ` +
        "Check that Redis is running and reachable at that address (host, port, password, TLS) and that REDIS_URL points at it.",
      { retryable: true, ...(cause === undefined ? {} : { cause }), details: { redis: this.address, reason } },
    );
  }

  /** Waits for `ready`, an error or the end of the connection, at most `waitMs`. */
  #whenReady(): Promise<"ready" | "down" | "timeout"> {
    const redis = this.#redis;
    return new Promise((resolve) => {
      const settle = (outcome: "ready" | "down" | "timeout") => {
        clearTimeout(timer);
        redis.off("ready", onReady);
        redis.off("error", onDown);
        redis.off("end", onDown);
        resolve(outcome);
      };
      const onReady = () => settle("ready");
      const onDown = () => settle("down");
      const timer = setTimeout(() => settle(redis.status === "ready" ? "ready" : "timeout"), this.#waitMs);
      redis.once("ready", onReady);
      redis.once("error", onDown);
      redis.once("end", onDown);
    });
  }
}
