import { styleText } from "node:util";
import { createLogUpdate } from "log-update";
import type { WorkflowEvent } from "../model/events.js";
import type { TaskReport, WorkflowResult } from "../engine/result.js";
import { terminalText } from "./terminal-text.js";

/** What a row of the live view can say about a task. */
const RowStatus = ["running", "retrying", "completed", "failed", "skipped", "pending"] as const;
type RowStatus = (typeof RowStatus)[number];

interface Row {
  id: string;
  actionType: string;
  status: RowStatus;
  attempt: number;
  /** Local clock (ms) when the current attempt started; running rows show the time since. */
  startedAt?: number;
  durationMs?: number;
  note?: string;
}

/** The terminal the view draws on: stderr in the CLI. */
export interface LiveViewStream {
  write(chunk: string): boolean;
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

export interface LiveViewOptions {
  stream: LiveViewStream;
  /** ANSI colours (the caller turns them off when NO_COLOR is set). */
  color: boolean;
  /** Minimum time between two redraws; 100 ms caps the view at 10 redraws per second. */
  intervalMs?: number;
  now?: () => number;
}

type Style = Parameters<typeof styleText>[0];

const SYMBOL: Record<RowStatus, string> = { running: "▶", retrying: "↻", completed: "✔", failed: "✖", skipped: "↷", pending: "·" };
const STYLE: Record<RowStatus, Style> = {
  running: "cyan",
  retrying: "yellow",
  completed: "green",
  failed: "red",
  skipped: "gray",
  pending: "gray",
};

/** A result, error or reason on one line, its control characters escaped (it came from outside). */
function oneLine(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return terminalText((text ?? "").replace(/\s+/g, " ").trim());
}

function clip(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  return width <= 1 ? chars.slice(0, width).join("") : `${chars.slice(0, width - 1).join("")}…`;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * A task list on a terminal that redraws in place (log-update): a header with counts and elapsed time, then one
 * row per task as it appears (status, attempt, duration, a one-line result or error). Redraws are throttled.
 */
export class LiveView {
  readonly #rows = new Map<string, Row>();
  readonly #opts: Required<LiveViewOptions>;
  readonly #draw: ReturnType<typeof createLogUpdate>;
  #runId = "";
  #runStatus = "starting";
  #total: number | undefined;
  #startedAt: number | undefined;
  #endedAt: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastDraw = Number.NEGATIVE_INFINITY;
  #pending: NodeJS.Timeout | undefined;
  #finished = false;

  constructor(options: LiveViewOptions) {
    this.#opts = { intervalMs: 100, now: () => performance.now(), ...options };
    // log-update only needs write/columns/rows/isTTY; the cursor is hidden on stderr while the view is up.
    this.#draw = createLogUpdate(options.stream as NodeJS.WriteStream);
  }

  /** Apply one engine event and schedule a redraw. */
  update(e: WorkflowEvent): void {
    if (this.#finished) return;
    const now = this.#opts.now();
    this.#startedAt ??= now;
    this.#timer ??= setInterval(() => this.#schedule(), this.#opts.intervalMs).unref();
    this.#apply(e, now);
    if (e.type === "run_completed") {
      this.#endedAt = now;
      clearInterval(this.#timer); // nothing ticks any more
      this.#drawNow(); // the run's last frame, not throttled
      return;
    }
    this.#schedule();
  }

  /** A line of its own above the task list (e.g. the embedded database starting); the list is redrawn under it. */
  note(text: string): void {
    if (this.#finished) return;
    this.#draw.clear();
    this.#opts.stream.write(`${this.#paint("gray", oneLine(text))}\n`);
    if (this.#startedAt !== undefined) this.#drawNow();
  }

  /** Stop redrawing; the last frame stays on the terminal. With the result, rows get their outcomes and results. */
  finish(result?: WorkflowResult): void {
    if (this.#finished) return;
    this.#finished = true;
    clearInterval(this.#timer);
    clearTimeout(this.#pending);
    if (result) this.#merge(result);
    if (this.#startedAt !== undefined) {
      this.#endedAt ??= this.#opts.now();
      this.#drawNow();
    }
    this.#draw.done();
  }

  /** The frame as text (what the next redraw writes). */
  frame(): string {
    const width = Math.max(20, (this.#opts.stream.columns ?? 80) - 1);
    const rows = [...this.#rows.values()];
    const maxRows = Math.max(1, (this.#opts.stream.rows ?? 24) - 3);
    const shown = rows.length > maxRows ? this.#busiest(rows, maxRows - 1) : rows;
    const idWidth = Math.min(24, Math.max(4, ...shown.map((r) => oneLine(r.id).length)));
    const typeWidth = Math.max(4, ...shown.map((r) => oneLine(r.actionType).length));
    const lines = [this.#header(rows, width), ...shown.map((r) => this.#row(r, idWidth, typeWidth, width))];
    if (shown.length < rows.length) lines.push(this.#paint("gray", `  … ${rows.length - shown.length} more tasks not shown`));
    return lines.join("\n");
  }

  #apply(e: WorkflowEvent, now: number): void {
    this.#runId ||= e.run_id;
    if (e.type === "run_started" || e.type === "plan_ready") this.#runStatus = "running";
    if (e.type === "plan_ready") {
      const count = /^(\d+) tasks?\b/.exec(e.detail ?? "")?.[1];
      if (count !== undefined) this.#total = Number(count);
    }
    if (e.type === "run_completed") this.#runStatus = e.status ?? "ended";
    if (!e.task_id) return;
    const row = this.#rows.get(e.task_id) ?? { id: e.task_id, actionType: e.action_type ?? "", status: "pending", attempt: 0 };
    if (e.action_type) row.actionType = e.action_type;
    if (e.attempt !== undefined) row.attempt = e.attempt;
    this.#rows.set(row.id, row);
    switch (e.type) {
      case "task_started":
        Object.assign(row, { status: "running", startedAt: now, durationMs: undefined, note: undefined });
        return;
      case "task_completed":
        Object.assign(row, { status: "completed", durationMs: e.duration_ms ?? this.#since(row, now), note: undefined });
        return;
      case "task_failed":
        Object.assign(row, { status: "failed", durationMs: e.duration_ms ?? this.#since(row, now) });
        row.note = e.error ? `${e.error.code}: ${oneLine(e.error.message)}` : "failed";
        return;
      case "task_retry":
        Object.assign(row, { status: "retrying", note: `retry in ${e.delay_ms ?? 0} ms${e.detail ? `: ${oneLine(e.detail)}` : ""}` });
        return;
      case "task_modified":
        Object.assign(row, { status: "retrying", note: `modified${e.detail ? `: ${oneLine(e.detail)}` : ""}` });
        return;
      case "task_skipped":
        Object.assign(row, { status: "skipped", note: oneLine(e.detail ?? "") });
        return;
      default:
        return;
    }
  }

  #since(row: Row, now: number): number | undefined {
    return row.startedAt === undefined ? undefined : Math.round(now - row.startedAt);
  }

  /** Outcomes from the final result: results, and rows for tasks that never started (skipped). */
  #merge(result: WorkflowResult): void {
    this.#runId ||= result.workflow_id;
    this.#runStatus = result.status;
    this.#total = result.tasks.length;
    for (const t of result.tasks) {
      const row = this.#rows.get(t.id) ?? { id: t.id, actionType: t.action_type, status: "pending", attempt: t.attempts };
      const status: RowStatus = t.status; // every task status is a row status
      Object.assign(row, { status, attempt: t.attempts, note: this.#outcome(t) });
      if (t.duration_ms !== undefined) row.durationMs = t.duration_ms;
      this.#rows.set(t.id, row);
    }
  }

  #outcome(t: TaskReport): string | undefined {
    if (t.status === "completed") return t.result === undefined ? undefined : oneLine(t.result);
    if (t.status === "skipped") return t.skip_reason === undefined ? undefined : oneLine(t.skip_reason);
    return t.error ? `${t.error.code}: ${oneLine(t.error.message)}` : undefined;
  }

  /** When the rows do not fit: every unfinished or failed row, then the latest finished ones, in order. */
  #busiest(rows: Row[], limit: number): Row[] {
    const keep = new Set(rows.filter((r) => r.status !== "completed" && r.status !== "skipped").slice(0, limit));
    for (let i = rows.length - 1; i >= 0 && keep.size < limit; i--) keep.add(rows[i] as Row);
    return rows.filter((r) => keep.has(r));
  }

  #header(rows: Row[], width: number): string {
    const count = (s: RowStatus) => rows.filter((r) => r.status === s).length;
    const done = count("completed") + count("failed") + count("skipped");
    const elapsed = this.#startedAt === undefined ? 0 : (this.#endedAt ?? this.#opts.now()) - this.#startedAt;
    const counts = [
      `${count("completed")} completed`,
      `${count("failed")} failed`,
      `${count("skipped")} skipped`,
      `${count("running") + count("retrying")} running`,
    ].join(", ");
    const text = `run ${oneLine(this.#runId) || "…"} · ${oneLine(this.#runStatus)} ${(elapsed / 1000).toFixed(1)} s · ${done}/${this.#total ?? rows.length} done: ${counts}`;
    return this.#paint("bold", clip(text, width));
  }

  #row(r: Row, idWidth: number, typeWidth: number, width: number): string {
    const duration = r.status === "running" ? this.#since(r, this.#opts.now()) : r.durationMs;
    const fixed = [
      `  ${SYMBOL[r.status]} ${clip(oneLine(r.id), idWidth).padEnd(idWidth)}`,
      oneLine(r.actionType).padEnd(typeWidth),
      r.status.padEnd(9),
      `attempt ${r.attempt || "-"}`,
      (duration === undefined ? "" : seconds(duration)).padStart(8),
    ].join("  ");
    const room = width - [...fixed].length - 2;
    const note = r.note && room > 3 ? `  ${clip(r.note, room)}` : "";
    return this.#paint(STYLE[r.status], clip(fixed, width)) + (r.status === "failed" ? this.#paint("red", note) : this.#paint("dim", note));
  }

  #paint(style: Style, text: string): string {
    // We decide about colour (NO_COLOR, a terminal on stderr); styleText would look at stdout instead.
    return this.#opts.color && text ? styleText(style, text, { validateStream: false }) : text;
  }

  /** Throttle: at most one redraw per interval; events in between are drawn together. */
  #schedule(): void {
    if (this.#pending || this.#finished) return;
    const wait = Math.max(0, this.#lastDraw + this.#opts.intervalMs - this.#opts.now());
    this.#pending = setTimeout(() => {
      this.#pending = undefined;
      if (!this.#finished) this.#drawNow();
    }, wait);
  }

  #drawNow(): void {
    this.#lastDraw = this.#opts.now();
    this.#draw(this.frame());
  }
}
