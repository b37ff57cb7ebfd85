import type { ClauseContext, ParseOutcome } from "./clause-context.js";
import { type Duration, parseDuration } from "./values.js";

/** "wait 2 seconds", "sleep for 500ms", "pause a minute", "after 3 seconds", "delay 1.5 s". */
const WAIT = /^(?:(?:wait|sleep|pause|delay|hold(?:\s+on)?|idle)(?:\s+for)?|after)\s+(.+)$/i;

const MAX_SECONDS = 86_400;
const VAGUE = /^(?:a\s+)?(?:while|bit|moment|little(?:\s+while)?|few\s+\w+|some\s+time|a\s+few\s+\w+)$/i;

/** Parse a wait clause into a wait step. */
export function parseWait(ctx: ClauseContext): ParseOutcome {
  const m = WAIT.exec(ctx.text);
  if (!m) return undefined;
  const d: Duration | undefined = parseDuration(m[1] ?? "");
  if (!d) return VAGUE.test(m[1] ?? "") ? { reason: "say how long, e.g. wait 2 seconds" } : undefined;
  if ("ms" in d) {
    return d.ms <= MAX_SECONDS * 1000 ? [{ kind: "wait", ms: d.ms }] : { reason: "a wait is at most 24 hours" };
  }
  return d.seconds <= MAX_SECONDS ? [{ kind: "wait", seconds: d.seconds }] : { reason: "a wait is at most 24 hours" };
}
