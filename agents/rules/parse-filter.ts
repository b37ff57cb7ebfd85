import { namesData, readDataPhrase } from "./data-phrase.js";
import type { Filter } from "./list-ops.js";
import { parseConditions } from "./parse-condition.js";
import { singular } from "./nouns.js";
import type { Scope } from "./scope.js";
import type { ClauseContext, ParseOutcome } from "./clause-context.js";

/**
 * Filter clauses: "keep only items where active is true", "filter userId == 1", "filter the users by
 * city is Oslo", "where likes > 10", "only posts with more than 10 likes", "exclude items where
 * active is false" (negated), "remove users whose city is Lima".
 */

const NEGATING = /^(?:filter\s+out|exclude|remove|drop|discard|reject|skip|ignore|leave\s+out|throw\s+away|get\s+rid\s+of)\s+/i;
const FILTER_VERB = /^filter\s+/i;
const KEEPING = /^(?:(?:keep|retain|select|return|take|get|leave|show|find|choose|include)\s+(?:only\s+|just\s+)?|only\s+|just\s+)/i;
/** A condition said on its own, after the data it filters: "where ...", "whose ...", "with more than 10 likes". */
const WHERE =
  /^(?:where|whose|having|with|(?:that|which|who)\s+(?:have|has|are|is)|(?:but\s+)?only\s+(?:those|the\s+ones|ones|items|entries|records)\s+(?:where|whose|with|having|that\s+(?:have|has|are|is)))\s+/i;

/** Words between the object and the condition. */
const CONNECTOR =
  /\b(?:where|whose|with|that\s+(?:have|has|are|is)|which\s+(?:have|has|are|is)|who\s+(?:have|has|are|is)|for\s+which|having|when|if)\s+/i;
/** After "filter", also: "filter by", "filter to", "filter on", "filter for", "filter so that". */
const FILTER_CONNECTOR = /\b(?:by|to|on|for|so\s+that|using|where|whose|with|that\s+(?:have|has|are|is)|having)\s+/i;

const NEGATE: Readonly<Record<string, Filter["operator"] | undefined>> = {
  "==": "!=",
  "!=": "==",
  ">": "<=",
  "<=": ">",
  "<": ">=",
  ">=": "<",
  contains: "not_contains",
  not_contains: "contains",
};

function negate(ops: Filter[]): Filter[] | { reason: string } {
  if (ops.length !== 1) return { reason: "removing items that match several conditions at once is not supported" };
  const op = ops[0] as Filter;
  if (op.operator === "exists") return [{ ...op, value: op.value === false }];
  const operator = NEGATE[op.operator];
  if (operator === undefined) return { reason: `cannot remove items where ${op.field} ${op.operator} ...; use "keep only" instead` };
  return [{ ...op, operator }];
}

/**
 * Split "the users whose city is Oslo" into object ("the users") and condition ("city is Oslo"). An
 * object that is not the data's name ("users" after fetching /search) reads as a field, which a
 * filter cannot mean: refused with how to say it, never guessed.
 */
function objectAndCondition(rest: string, connector: RegExp, scope: Scope, optional: boolean): string | { reason: string } | undefined {
  const m = connector.exec(rest);
  const object = m
    ? rest
        .slice(0, m.index)
        .trim()
        .replace(/^(?:all\s+(?:of\s+)?)?/i, "")
    : undefined;
  if (m && object !== undefined && !namesData(object, scope) && !optional) {
    const read = readDataPhrase(object, scope);
    if (read && "ops" in read && read.ops.some((o) => o.op === "select")) {
      return { reason: `"${object}" does not name the data before it; say "items" (keep only items ${m[0].trim()} ...)` };
    }
  }
  if (!m || object === undefined || !namesData(object, scope)) return optional ? rest : undefined;
  let condition = rest.slice(m.index + m[0].length);
  // "filter to only keep items where ...", "filter down to the ones with ..."
  const again =
    /^(?:only\s+)?(?:keep\s+)?(?:only\s+)?(?:the\s+)?(?:\w+\s+)?(?:where|whose|with|that\s+(?:have|has|are|is)|having)\s+/i.exec(condition);
  if (again && namesData(again[0].replace(/\b(?:only|keep|where|whose|with|that|have|has|are|is|having)\b/gi, ""), scope)) {
    condition = condition.slice(again[0].length);
  }
  return condition;
}

/** Parse a filter clause into one transform step holding one filter per condition. */
export function parseFilter(ctx: ClauseContext): ParseOutcome {
  const t = ctx.text.replace(/^filter\s+(?:down\s+)?(?=to\s)/i, "filter ");
  let condition: string | { reason: string } | undefined;
  let negated = false;
  if (NEGATING.test(t)) {
    negated = true;
    condition = objectAndCondition(t.replace(NEGATING, ""), CONNECTOR, ctx.scope, false);
  } else if (FILTER_VERB.test(t)) {
    condition = objectAndCondition(t.replace(FILTER_VERB, ""), FILTER_CONNECTOR, ctx.scope, true);
  } else if (WHERE.test(t)) {
    condition = t.replace(WHERE, "");
  } else if (KEEPING.test(t)) {
    condition = objectAndCondition(t.replace(KEEPING, ""), CONNECTOR, ctx.scope, false);
  }
  if (condition === undefined || typeof condition !== "string") return condition;
  const parsed = parseConditions(condition, ctx.masked);
  if ("reason" in parsed) return parsed;
  // "users in Lima": "in" as a place, not membership of a field named like the data itself
  const place = parsed.ops.find((o) => o.operator === "in" && ctx.scope.sources.has(singular(o.field)));
  if (place)
    return {
      reason: `"${place.field}" names the data, not a field of its items; say which field, e.g. "where city is ${String((place.value as unknown[])[0])}"`,
    };
  const ops = negated ? negate(parsed.ops) : parsed.ops;
  return "reason" in ops ? ops : [{ kind: "transform", ops }];
}
