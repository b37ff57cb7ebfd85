import type { Filter, FilterOperator } from "./list-ops.js";
import type { Masked } from "./mask.js";
import { IDENT, NUM, parseField, parseNumber, parseValue } from "./values.js";

/**
 * Conditions of a filter: "active is true", "userId == 1", "likes > 10", "city is Oslo or Lima",
 * "name contains 'a'", "likes between 5 and 10", "email exists", joined by "and".
 */

type Operator = FilterOperator;
export type Conditions = { ops: Filter[] } | { reason: string };

const PHRASES: readonly [string, Operator][] = [
  ["does not contain", "not_contains"],
  ["doesn't contain", "not_contains"],
  ["do not contain", "not_contains"],
  ["don't contain", "not_contains"],
  ["does not include", "not_contains"],
  ["doesn't include", "not_contains"],
  ["not containing", "not_contains"],
  ["starts with", "starts_with"],
  ["start with", "starts_with"],
  ["begins with", "starts_with"],
  ["begin with", "starts_with"],
  ["starting with", "starts_with"],
  ["ends with", "ends_with"],
  ["end with", "ends_with"],
  ["ending with", "ends_with"],
  ["containing", "contains"],
  ["is not equal to", "!="],
  ["is not", "!="],
  ["isn't", "!="],
  ["are not", "!="],
  ["aren't", "!="],
  ["does not equal", "!="],
  ["doesn't equal", "!="],
  ["not equal to", "!="],
  ["is different from", "!="],
  ["is other than", "!="],
  ["is greater than or equal to", ">="],
  ["is at least", ">="],
  ["are at least", ">="],
  ["at least", ">="],
  ["is no less than", ">="],
  ["greater than or equal to", ">="],
  ["is less than or equal to", "<="],
  ["is at most", "<="],
  ["are at most", "<="],
  ["at most", "<="],
  ["is no more than", "<="],
  ["less than or equal to", "<="],
  ["is greater than", ">"],
  ["are greater than", ">"],
  ["greater than", ">"],
  ["is more than", ">"],
  ["are more than", ">"],
  ["more than", ">"],
  ["is above", ">"],
  ["are above", ">"],
  ["above", ">"],
  ["is over", ">"],
  ["are over", ">"],
  ["over", ">"],
  ["exceeds", ">"],
  ["exceed", ">"],
  ["is bigger than", ">"],
  ["is larger than", ">"],
  ["is higher than", ">"],
  ["is less than", "<"],
  ["are less than", "<"],
  ["less than", "<"],
  ["is fewer than", "<"],
  ["fewer than", "<"],
  ["is below", "<"],
  ["are below", "<"],
  ["below", "<"],
  ["is under", "<"],
  ["are under", "<"],
  ["under", "<"],
  ["is smaller than", "<"],
  ["is lower than", "<"],
  ["contains", "contains"],
  ["contain", "contains"],
  ["includes", "contains"],
  ["include", "contains"],
  ["is one of", "in"],
  ["are one of", "in"],
  ["is any of", "in"],
  ["is in", "in"],
  ["are in", "in"],
  ["is among", "in"],
  ["in", "in"],
  ["is equal to", "=="],
  ["equals", "=="],
  ["equal to", "=="],
  ["equal", "=="],
  ["is", "=="],
  ["are", "=="],
  ["was", "=="],
  ["were", "=="],
];
const SYMBOLS: readonly [string, Operator][] = [
  ["===", "=="],
  ["!==", "!="],
  ["==", "=="],
  ["!=", "!="],
  ["<>", "!="],
  [">=", ">="],
  ["<=", "<="],
  ["≥", ">="],
  ["≤", "<="],
  ["≠", "!="],
  ["=", "=="],
  [">", ">"],
  ["<", "<"],
  [":", "=="],
];

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const WORD_OPS = [...PHRASES].sort((a, b) => b[0].length - a[0].length);
const OPERATOR_OF = new Map<string, Operator>([...PHRASES, ...SYMBOLS]);
const FIELD = `((?:the\\s+)?(?:field\\s+)?(?:${IDENT}|\\uE000.\\uE001)(?:\\s+field)?)`;
const BINARY = new RegExp(
  `^${FIELD}(?:\\s+(${WORD_OPS.map(([p]) => escapeRegex(p).replace(/ /g, "\\s+")).join("|")})\\s+|\\s*(${SYMBOLS.map(([s]) => escapeRegex(s)).join("|")})\\s*)(.+)$`,
  "i",
);
const UNARY_EXISTS = new RegExp(`^${FIELD}\\s+(?:exists|is\\s+(?:present|set|defined))$`, "i");
const UNARY_MISSING = new RegExp(
  `^${FIELD}\\s+(?:does\\s+not\\s+exist|doesn't\\s+exist|is\\s+(?:missing|absent|not\\s+set|undefined))$`,
  "i",
);
const QUANTITY = new RegExp(
  `^(more\\s+than|over|at\\s+least|fewer\\s+than|less\\s+than|under|at\\s+most|exactly)?\\s*(${NUM})\\s+(${IDENT})$`,
  "i",
);
const QUANTITY_OP: Readonly<Record<string, Operator>> = {
  "more than": ">",
  over: ">",
  "at least": ">=",
  "fewer than": "<",
  "less than": "<",
  under: "<",
  "at most": "<=",
};
const NUMERIC = new Set<Operator>([">", ">=", "<", "<="]);

function filter(field: string, operator: Operator, value: unknown): Filter {
  return { op: "filter", field, operator, value };
}

/** "FIELD in A, B or C": a list of typed values (or one JSON array). */
function listValue(text: string, masked: Masked): { value: unknown[] } | { reason: string } {
  const single = parseValue(text, masked);
  if ("value" in single && Array.isArray(single.value)) return { value: single.value };
  const values: unknown[] = [];
  for (const part of text.split(/\s*,\s*(?:or\s+|and\s+)?|\s+or\s+|\s+and\s+/i)) {
    if (/\s/.test(part.trim())) return { reason: `cannot read the list "${text}"` };
    const v = parseValue(part, masked);
    if ("reason" in v) return v;
    values.push(v.value);
  }
  return { value: values };
}

function binary(text: string, masked: Masked): Filter | { reason: string } | undefined {
  const m = BINARY.exec(text);
  if (!m) return undefined;
  const field = parseField(m[1] ?? "", masked);
  const operator = OPERATOR_OF.get((m[2] ?? m[3] ?? "").toLowerCase().replace(/\s+/g, " "));
  if (field === undefined || operator === undefined) return undefined;
  const raw = (m[4] ?? "").replace(/^either\s+(?=.*\s+or\s+)/i, "");
  if (operator === "in") {
    const list = listValue(raw, masked);
    return "reason" in list ? list : filter(field, "in", list.value);
  }
  if (operator === "==" && /\s+or\s+/i.test(raw)) {
    const list = listValue(raw, masked);
    if ("value" in list) return filter(field, "in", list.value);
  }
  if (/\s+or\s+/i.test(raw)) return { reason: `"or" between conditions is not supported ("${text}")` };
  const value = parseValue(raw, masked, NUMERIC.has(operator));
  if ("reason" in value) return value;
  if ((operator === "starts_with" || operator === "ends_with") && typeof value.value !== "string") {
    return { reason: `"${operator.replace("_", " ")}" compares text; quote the value ('like this')` };
  }
  if (NUMERIC.has(operator) && typeof value.value !== "number" && typeof value.value !== "string") {
    return { reason: `"${operator}" compares numbers or text, not ${JSON.stringify(value.value)}` };
  }
  return filter(field, operator, value.value);
}

/** One condition, without "and". A bare field ("active") means it is true, only when it stands alone. */
function parseCondition(text: string, masked: Masked, alone: boolean): Filter | { reason: string } | undefined {
  // "with a total above 100" → total > 100; "with an email" → email exists
  const t = text.trim().replace(/^an?\s+(?=[A-Za-z_][\w$-]*\s)/i, "");
  const having = new RegExp(`^an?\\s+(${IDENT})$`, "i").exec(t);
  if (having) return filter(having[1] ?? "", "exists", true);
  const present = UNARY_EXISTS.exec(t);
  const exists = present ?? UNARY_MISSING.exec(t);
  if (exists) {
    const field = parseField(exists[1] ?? "", masked);
    return field === undefined ? undefined : filter(field, "exists", present !== null);
  }
  const quantity = QUANTITY.exec(t);
  if (quantity) {
    const operator = QUANTITY_OP[(quantity[1] ?? "").toLowerCase().replace(/\s+/g, " ")] ?? "==";
    return filter(quantity[3] ?? "", operator, parseNumber(quantity[2] ?? ""));
  }
  if (alone) {
    const negated = /^(?:not\s+|non-)(.+)$/i.exec(t);
    const bare = parseField(negated?.[1] ?? t, masked);
    if (bare !== undefined && !/^(?:true|false|null)$/i.test(bare)) return filter(bare, negated ? "!=" : "==", true);
  }
  return binary(t, masked);
}

const BETWEEN = new RegExp(`^${FIELD}\\s+(?:is\\s+|are\\s+)?between\\s+(\\S+)\\s+and\\s+(\\S+)$`, "i");

function between(text: string, masked: Masked): Conditions | undefined {
  const m = BETWEEN.exec(text.trim());
  if (!m) return undefined;
  const field = parseField(m[1] ?? "", masked);
  const low = parseValue(m[2] ?? "", masked, true);
  const high = parseValue(m[3] ?? "", masked, true);
  if (field === undefined || "reason" in low || "reason" in high) return { reason: `cannot read the range "${text}"` };
  return { ops: [filter(field, ">=", low.value), filter(field, "<=", high.value)] };
}

/** A lone value after a list ("city is one of Oslo, Lima, Pune" split at commas) joins that list. */
function extendList(previous: Filter | undefined, part: string, masked: Masked): boolean {
  if (previous?.operator !== "in" || !Array.isArray(previous.value) || /\s/.test(part.trim())) return false;
  const v = parseValue(part, masked);
  if ("reason" in v) return false;
  previous.value.push(v.value);
  return true;
}

/** Conditions joined by "and"/"," (all must hold). Ranges ("between 5 and 10") stay whole. */
export function parseConditions(text: string, masked: Masked): Conditions {
  const parts = text
    .replace(/\bbetween\s+(\S+)\s+and\s+(\S+)/gi, "between $1 \uE002 $2")
    .split(/\s*,\s*(?:and\s+|or\s+)?|\s+and\s+/i)
    .map((p) => p.replace(/\uE002/g, "and"));
  const ops: Filter[] = [];
  for (const part of parts) {
    const range = between(part, masked);
    if (range) {
      if ("reason" in range) return range;
      ops.push(...range.ops);
      continue;
    }
    const op = parseCondition(part, masked, parts.length === 1);
    if (op === undefined || "reason" in op) {
      if (extendList(ops.at(-1), part, masked)) continue;
      return op ?? { reason: `cannot read the condition "${part.trim()}"` };
    }
    ops.push(op);
  }
  return { ops };
}
