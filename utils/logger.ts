import { pino } from "pino";
import type { LogLevel } from "./log-level.js";
import { REDACTED } from "./redacted.js";

type LogFn = (objOrMsg: object | string, msg?: string) => void;

/** The logging surface the engine depends on; pino's logger satisfies it. */
export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

/** Credential fields that never reach a log line, wherever they sit in the first three levels. */
const SECRET_KEYS = [
  "authorization",
  "Authorization",
  "proxy-authorization",
  "Proxy-Authorization",
  "cookie",
  "Cookie",
  "set-cookie",
  "Set-Cookie",
  "x-api-key",
  "X-Api-Key",
  "X-API-Key",
  "password",
  "passwd",
  "token",
  "access_token",
  "refresh_token",
  "accessToken",
  "secret",
  "client_secret",
  "clientSecret",
  "apiKey",
  "api_key",
  "apikey",
];
const REDACT_PATHS = SECRET_KEYS.flatMap((key) => {
  const step = /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `["${key}"]`;
  return [step.startsWith(".") ? key : step, `*${step}`, `*.*${step}`];
});

/** What the logger needs of the secret scrubber (src/safety/secrets.ts). */
export interface LogScrubber {
  scrub<T>(value: T): T;
  scrubString(text: string): string;
  scrubText(text: string): string;
}

/**
 * A pino logger writing JSON lines to stderr (stdout is reserved for results). Credential fields are
 * redacted by path, and, given `secrets` (the engine's scrubber), every line is scrubbed of the secrets it
 * knows whatever field holds them.
 */
export function createLogger(level: LogLevel = "info", secrets?: LogScrubber): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      ...(secrets ? { hooks: { streamWrite: (line: string) => secrets.scrubText(line) } } : {}),
    },
    pino.destination(2),
  );
}

/**
 * `logger` with every message and field scrubbed of the secrets `secrets` knows before it is logged,
 * for any Logger implementation (the engine wraps the logger it is given with it).
 */
export function scrubbingLogger(logger: Logger, secrets: LogScrubber): Logger {
  const wrap =
    (fn: LogFn): LogFn =>
    (objOrMsg, msg) =>
      msg === undefined ? fn.call(logger, secrets.scrub(objOrMsg)) : fn.call(logger, secrets.scrub(objOrMsg), secrets.scrubString(msg));
  return {
    trace: wrap(logger.trace),
    debug: wrap(logger.debug),
    info: wrap(logger.info),
    warn: wrap(logger.warn),
    error: wrap(logger.error),
    child: (bindings) => scrubbingLogger(logger.child(secrets.scrub(bindings)), secrets),
  };
}

/** A logger that drops everything: the default for library use and tests. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
