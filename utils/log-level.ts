/** The log levels, lightest module of the logger: the CLI reads its flags with it before pino loads. */
export const LogLevel = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LogLevel)[number];
