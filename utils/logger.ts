import { pino } from "pino";

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

export const LogLevel = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LogLevel)[number];

/** Header, cookie and credential paths that never reach a log line. */
const REDACT_PATHS = [
  "*.headers.authorization",
  "*.headers.Authorization",
  "*.headers.cookie",
  "*.headers.Cookie",
  "*.headers['x-api-key']",
  "*.password",
  "*.apiKey",
  "*.api_key",
];

/** A pino logger writing JSON lines to stderr (stdout is reserved for results). */
export function createLogger(level: LogLevel = "info"): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: "[redacted]" } }, pino.destination(2));
}

/** A logger that drops everything: the default for library use and tests. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
