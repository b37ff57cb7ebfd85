import type { EventListener } from "../model/events.js";
import type { WorkflowResult } from "../engine/result.js";
import type { LogLevel } from "../../utils/log-level.js";
import type { LiveViewStream } from "./live-view.js";
import { formatEvent } from "./output.js";
import { terminalText } from "./terminal-text.js";

/** How the CLI shows a run's progress: a live task list, plain lines, or nothing. */
export const ProgressMode = ["live", "plain", "quiet"] as const;
export type ProgressMode = (typeof ProgressMode)[number];

export interface ProgressChoice {
  quiet: boolean;
  json: boolean;
  plain: boolean;
  /** Whether the progress stream (stderr) is a terminal. */
  isTTY: boolean;
  env: Record<string, string | undefined>;
  logLevel?: LogLevel;
}

/** Log levels whose JSON lines would be written between two redraws and tear the live view. */
const CHATTY_LEVELS: readonly LogLevel[] = ["trace", "debug", "info"];

/** NO_COLOR counts when it is set to anything but the empty string (no-color.org). */
function noColor(env: Record<string, string | undefined>): boolean {
  return env.NO_COLOR !== undefined && env.NO_COLOR !== "";
}

/** --quiet and --json: nothing; --plain, no terminal, NO_COLOR, TERM=dumb or chatty logs: plain lines; else live. */
export function progressMode(c: ProgressChoice): ProgressMode {
  if (c.quiet || c.json) return "quiet";
  if (c.plain || !c.isTTY || noColor(c.env) || c.env.TERM === "dumb") return "plain";
  if (c.logLevel !== undefined && CHATTY_LEVELS.includes(c.logLevel)) return "plain";
  return "live";
}

export interface Progress {
  readonly mode: ProgressMode;
  /** Give this to the engine as `onEvent`. */
  readonly onEvent: EventListener;
  /** Give this to the engine as `onNotice`: a line about something outside the tasks (the embedded database starting). */
  readonly onNotice: (message: string) => void;
  /** Stop the live view (its last frame stays) before the summary is printed; safe to call more than once. */
  finish(result?: WorkflowResult): void;
}

export interface ProgressOptions extends Omit<ProgressChoice, "isTTY" | "env"> {
  /** Where progress goes; default process.stderr (stdout is for results). */
  stream?: LiveViewStream;
  env?: Record<string, string | undefined>;
}

/** The progress display the flags and the terminal call for; the live view (log-update) loads only on a terminal. */
export async function createProgress(options: ProgressOptions): Promise<Progress> {
  const stream = options.stream ?? process.stderr;
  const env = options.env ?? process.env;
  const mode = progressMode({ ...options, env, isTTY: stream.isTTY === true });
  if (mode === "quiet") return { mode, onEvent: () => {}, onNotice: () => {}, finish: () => {} };
  if (mode === "plain") {
    const onEvent: EventListener = (event) => {
      const line = formatEvent(event);
      if (line) stream.write(`${line}\n`);
    };
    return { mode, onEvent, onNotice: (message) => stream.write(`${terminalText(message)}\n`), finish: () => {} };
  }
  const { LiveView } = await import("./live-view.js");
  const view = new LiveView({ stream, color: !noColor(env) });
  return {
    mode,
    onEvent: (event) => view.update(event),
    onNotice: (message) => view.note(message),
    finish: (result) => view.finish(result),
  };
}
