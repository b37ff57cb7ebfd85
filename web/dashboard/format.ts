/** 850 ms, 12.3 s, 4 min 05 s, 2 h 10 min. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}

/** A timestamp in the reader's locale, the date left out when it is today. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString() : d.toLocaleString();
}

/** Milliseconds between two ISO times, the second defaulting to now. */
export function elapsed(from: string | undefined, to?: string): number | undefined {
  if (!from) return undefined;
  const start = Date.parse(from);
  const end = to ? Date.parse(to) : Date.now();
  return Number.isNaN(start) || Number.isNaN(end) ? undefined : Math.max(0, end - start);
}

const FINISHED = new Set(["completed", "completed_with_errors", "failed", "rolled_back", "rollback_failed"]);

/** True once a run can change no more (by itself: a paused run waits for a person). */
export function isFinished(status: string): boolean {
  return FINISHED.has(status);
}

/** A string fit for a class name or data attribute value (statuses come from the API). */
export function token(value: string | undefined): string {
  return (value ?? "unknown").replace(/[^a-z0-9_-]/gi, "_");
}
