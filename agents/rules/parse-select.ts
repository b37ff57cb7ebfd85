import { readDataPhrase } from "./data-phrase.js";
import type { ClauseContext, ParseOutcome } from "./clause-context.js";

/**
 * Selections said as a step of their own: "keep only the names", "extract their titles", "get the
 * name and email of each user", "take the ids". The phrase must ask for something: "keep them" is
 * not a step.
 */
const SELECT =
  /^(?:give\s+me|get\s+me|tell\s+me|show\s+me|pick\s+out|pull\s+out|keep|retain|select|pick|extract|take|get|return|show|grab|list|collect|leave)\s+(?:only\s+|just\s+)?(.+?)(?:\s+only)?$/i;

/** Parse a selection clause into one transform step. */
export function parseSelect(ctx: ClauseContext): ParseOutcome {
  const m = SELECT.exec(ctx.text);
  const read = m ? readDataPhrase(m[1] ?? "", ctx.scope, ctx.masked) : undefined;
  if (!read || "reason" in read) return read;
  return read.ops.length > 0 ? [{ kind: "transform", ops: read.ops }] : undefined;
}
