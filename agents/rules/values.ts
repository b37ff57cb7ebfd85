import { type Masked, tokenOf } from "./mask.js";
import { STRUCTURAL_WORDS } from "./vocabulary.js";

/** Numbers written as words, for "wait two seconds" and "the first three". */
const NUMBER_WORDS: Readonly<Record<string, number>> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  hundred: 100,
};

/** Regex source for a number in digits or words. */
export const NUM = `(?:\\d+(?:\\.\\d+)?|${Object.keys(NUMBER_WORDS).join("|")})`;

/** Regex source for a field name: a plain identifier (the engine reads a dotted name as one key). */
export const IDENT = "[A-Za-z_$][\\w$-]*";

/** A number in digits or words. */
export function parseNumber(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (/^-?\d+(?:\.\d+)?$/.test(t)) return Number(t);
  return NUMBER_WORDS[t];
}

/** A non-negative whole number in digits or words. */
export function parseCount(text: string): number | undefined {
  const n = parseNumber(text);
  return n !== undefined && Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** A duration: `seconds` unless given in milliseconds. */
export type Duration = { seconds: number } | { ms: number };

const UNIT = "(ms|msecs?|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?)";
const DURATION = new RegExp(`^(?:about\\s+|around\\s+|roughly\\s+)?(${NUM}|an?)\\s*-?\\s*${UNIT}$`, "i");

/** Regex source for a duration inside a longer phrase (number and optional unit as groups). */
export const DURATION_SOURCE = `(${NUM}|an?)\\s*-?\\s*${UNIT}`;

/** "2 seconds", "500ms", "a minute", "1.5 s", "half a second". */
export function parseDuration(text: string): Duration | undefined {
  const t = text.trim();
  const half = /^half\s+an?\s+(second|minute|hour)$/i.exec(t);
  if (half) return toDuration(0.5, half[1] ?? "s");
  const m = DURATION.exec(t);
  if (!m) return undefined;
  const amount = /^an?$/i.test(m[1] ?? "") ? 1 : parseNumber(m[1] ?? "");
  return amount === undefined ? undefined : toDuration(amount, m[2] ?? "s");
}

/** An amount in a unit as seconds, or as ms when given in ms. */
export function toDuration(amount: number, unit: string): Duration {
  const u = unit.toLowerCase();
  if (/^(?:ms|msecs?|milliseconds?)$/.test(u)) return { ms: amount };
  if (/^(?:m|mins?|minutes?)$/.test(u)) return { seconds: amount * 60 };
  if (/^(?:h|hrs?|hours?)$/.test(u)) return { seconds: amount * 3600 };
  return { seconds: amount };
}

/** A duration in seconds. */
export function durationSeconds(d: Duration): number {
  return "seconds" in d ? d.seconds : d.ms / 1000;
}

/** A field named in a goal: `name`, `the name field`, `the field 'full name'`. */
export function parseField(text: string, masked: Masked): string | undefined {
  const t = text
    .trim()
    .replace(/^(?:the|its|their|each|every)\s+/i, "")
    .replace(/^(?:field|key|property|column|attribute)\s+/i, "")
    .replace(/\s+(?:field|key|property|column|attribute)$/i, "");
  const token = tokenOf(masked, t);
  if (token) return token.kind === "quote" && token.text.trim() !== "" ? token.text : undefined;
  return new RegExp(`^${IDENT}$`).test(t) && !/^(?:it|them|this|that|these|those)$/i.test(t) ? t : undefined;
}

/** A list of fields: `a, b and c`, `'a' & 'b'`. */
export function parseFieldList(text: string, masked: Masked): string[] | undefined {
  const parts = text.trim().split(/\s*,\s*(?:and\s+)?|\s+and\s+|\s*&\s*/i);
  const fields = parts.map((p) => parseField(p, masked));
  if (fields.some((f) => f === undefined)) return undefined;
  return fields as string[];
}

const LITERAL_WORD = /^(?:true|false|null|none|-?\d+(?:\.\d+)?)$/i;

/** Words that read like a value but mean something a filter cannot say with `==`. */
const VAGUE_VALUES = /^(?:empty|blank|missing|nothing|undefined|something|anything)$/i;

/** A value typed as written: 'quoted' → string, true/false, null, numbers, JSON, else a bare word. */
export function parseValue(text: string, masked: Masked, numeric = false): { value: unknown } | { reason: string } {
  const t = text.trim().replace(/\s+only$/i, "");
  const token = tokenOf(masked, t);
  if (token?.kind === "quote") return { value: token.text };
  if (token?.kind === "json") return { value: token.value };
  if (token) return { reason: `"${token.raw}" is not a value` };
  if (/^(?:true|false)$/i.test(t)) return { value: t.toLowerCase() === "true" };
  if (/^(?:null|none)$/i.test(t)) return { value: null };
  const n = numeric ? parseNumber(t) : /^-?\d+(?:\.\d+)?$/.test(t) ? Number(t) : undefined;
  if (n !== undefined) return { value: n };
  if (VAGUE_VALUES.test(t)) return { reason: `"${t}" is not a value a filter can compare with` };
  const words = t.split(/\s+/);
  const plain = /^[\p{L}\p{N}_@.\-:/ ]+$/u.test(t);
  // unquoted words run to the end of the clause: "true save to x.json" must not become one value
  const runsOn = words.length > 1 && words.some((w, i) => STRUCTURAL_WORDS.has(w.toLowerCase()) || (i === 0 && LITERAL_WORD.test(w)));
  if (plain && !runsOn) return { value: t };
  return { reason: `"${t}" is not a value I can read (quote text values: 'like this')` };
}
