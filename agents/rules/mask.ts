/**
 * Literal spans of a goal (URLs, quoted text, JSON, `{{references}}`, later SQL) are replaced by
 * one-character-wide placeholders before the goal is split and matched, so no separator or keyword
 * inside them is ever seen. Placeholders use private-use characters: no regex `\w`, `\d` or `\s`
 * matches them.
 */

type TokenKind = "url" | "quote" | "json" | "sql" | "ref";

export interface Token {
  readonly kind: TokenKind;
  /** The span as written in the goal (may itself hold placeholders, see `restore`). */
  readonly raw: string;
  /** The useful text: the URL, the inside of the quotes, the SQL, the JSON source. */
  readonly text: string;
  /** The parsed value of a JSON span. */
  readonly value?: unknown;
}

export interface Masked {
  readonly text: string;
  readonly tokens: readonly Token[];
}

const OPEN = "\uE000";
const CLOSE = "\uE001";
const BASE = 0xe100;
const MAX_TOKENS = 0xeff - 0x100;

/** Regex source matching one placeholder. */
export const PH = "\\uE000[\\uE100-\\uEFFF]\\uE001";
const PH_ANY = /\uE000([\uE100-\uEFFF])\uE001/g;

/** The placeholder standing for token number `index`. */
function placeholder(index: number): string {
  return OPEN + String.fromCharCode(BASE + index) + CLOSE;
}

/** The token a placeholder stands for, if `text` is exactly one placeholder. */
export function tokenOf(masked: Masked, text: string | undefined): Token | undefined {
  if (text === undefined || text.length !== 3 || text[0] !== OPEN || text[2] !== CLOSE) return undefined;
  return masked.tokens[text.charCodeAt(1) - BASE];
}

/** Put the original text back in place of every placeholder. */
export function restore(text: string, tokens: readonly Token[]): string {
  return text.replace(PH_ANY, (whole, c: string) => {
    const token = tokens[c.charCodeAt(0) - BASE];
    return token ? restore(token.raw, tokens) : whole;
  });
}

/** Add one token, returning its placeholder (or the raw text when there are too many). */
export function pushToken(tokens: Token[], token: Token): string {
  if (tokens.length >= MAX_TOKENS) return token.raw;
  tokens.push(token);
  return placeholder(tokens.length - 1);
}

/** Mask URLs, quoted strings, JSON values and `{{references}}` in a goal. */
export function maskLiterals(goal: string): Masked {
  const tokens: Token[] = [];
  let out = "";
  let i = 0;
  while (i < goal.length) {
    const found = scanAt(goal, i);
    if (found) {
      out += pushToken(tokens, found.token);
      i = found.end;
    } else {
      out += goal[i];
      i += 1;
    }
  }
  return { text: out, tokens };
}

interface Scan {
  token: Token;
  end: number;
}

const QUOTE_PAIRS: Readonly<Record<string, string>> = { '"': '"', "'": "'", "\u201C": "\u201D", "\u2018": "\u2019", "`": "`" };

function scanAt(s: string, i: number): Scan | undefined {
  const ch = s[i] ?? "";
  const wordStart = i === 0 || /[\s([,:=<]/.test(s[i - 1] ?? "");
  if (wordStart && /^(?:https?:\/\/|(?:localhost|127\.0\.0\.1)(?::\d+)?(?:\/|\s|$))/i.test(s.slice(i, i + 24))) {
    return scanUrl(s, i);
  }
  if (wordStart && s.startsWith("{{", i)) return scanRef(s, i);
  if (ch === "{" && s[i + 1] !== "{") return scanJson(s, i);
  if (ch === "[" && /^\[\s*[{["'\d\-\]tfn]/.test(s.slice(i, i + 8))) return scanJson(s, i);
  if (wordStart && QUOTE_PAIRS[ch] !== undefined) return scanQuote(s, i, QUOTE_PAIRS[ch] ?? ch);
  return undefined;
}

const TRAILING_PUNCTUATION = /[.,;:!?'"\])>]+$/;

function scanUrl(s: string, i: number): Scan {
  const rest = s.slice(i);
  let raw = /^\S+/.exec(rest)?.[0] ?? "";
  while (TRAILING_PUNCTUATION.test(raw)) {
    const trimmed = raw.replace(/[.,;:!?'"\])>]$/, "");
    // a closing parenthesis that closes one inside the URL belongs to it
    if (raw.endsWith(")") && (raw.match(/\(/g)?.length ?? 0) >= (raw.match(/\)/g)?.length ?? 0)) break;
    raw = trimmed;
  }
  const text = /^https?:\/\//i.test(raw) ? raw : `http://${raw}`;
  return { token: { kind: "url", raw, text }, end: i + raw.length };
}

function scanRef(s: string, i: number): Scan | undefined {
  const close = s.indexOf("}}", i);
  if (close < 0) return undefined;
  const tail = /^\S*/.exec(s.slice(close + 2))?.[0] ?? "";
  const raw = (s.slice(i, close + 2) + tail).replace(/[.,;:!?'")\]]+$/, "");
  return { token: { kind: "ref", raw, text: raw }, end: i + raw.length };
}

function scanQuote(s: string, i: number, closer: string): Scan | undefined {
  let j = s.indexOf(closer, i + 1);
  while (j >= 0) {
    const after = s[j + 1];
    if (after === undefined || /[\s.,;:!?)\]]/.test(after)) {
      const raw = s.slice(i, j + 1);
      return { token: { kind: "quote", raw, text: raw.slice(1, -1) }, end: j + 1 };
    }
    j = s.indexOf(closer, j + 1);
  }
  return undefined;
}

/** A balanced `{...}` or `[...]` that parses as JSON (or as JSON with single quotes and bare keys). */
function scanJson(s: string, i: number): Scan | undefined {
  const end = balancedEnd(s, i);
  if (end === undefined) return undefined;
  const raw = s.slice(i, end);
  const value = parseJsonLoose(raw);
  if (value === undefined) return undefined;
  return { token: { kind: "json", raw, text: raw, value: value.value }, end };
}

function balancedEnd(s: string, start: number): number | undefined {
  let depth = 0;
  let quote: string | undefined;
  for (let j = start; j < s.length; j++) {
    const c = s[j];
    if (quote !== undefined) {
      if (c === "\\") j += 1;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "{" || c === "[") depth += 1;
    else if (c === "}" || c === "]") {
      depth -= 1;
      if (depth === 0) return j + 1;
    }
  }
  return undefined;
}

/** JSON, or failing that JSON written loosely: `{name: 'widget'}`. */
function parseJsonLoose(raw: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(raw) };
  } catch {
    const fixed = raw
      .replace(/'((?:[^'\\]|\\.)*)'/g, (_m, inner: string) => JSON.stringify(inner))
      .replace(/([{,]\s*)([A-Za-z_$][\w$]*)\s*:/g, '$1"$2":');
    try {
      return { value: JSON.parse(fixed) };
    } catch {
      return undefined;
    }
  }
}
