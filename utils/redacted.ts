/** What a redacted secret is replaced with, in logs, checkpoints, records and output alike. */
export const REDACTED = "[redacted]";
