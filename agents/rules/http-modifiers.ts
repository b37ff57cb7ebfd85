import { type Masked, PH, tokenOf } from "./mask.js";
import type { Method } from "./steps.js";
import { DURATION_SOURCE, NUM, durationSeconds, parseCount, parseNumber, toDuration } from "./values.js";

/** Options of an HTTP request said anywhere in its clause: "with a timeout of 5 seconds", "with header '...'". */
export interface HttpModifiers {
  timeout?: number;
  attempts?: number;
  headers?: Record<string, string>;
  params?: Record<string, string | number | boolean>;
  body?: unknown;
  hasBody: boolean;
  method?: Method;
}

const LEAD = "(?:\\s*,\\s*|\\s+|^)\\(?\\s*";

const TIMEOUT = new RegExp(
  `${LEAD}(?:with\\s+|and\\s+)?(?:an?\\s+|the\\s+)?(?:` +
    `time-?out\\s*(?:of|=|:|at)?\\s*(${NUM})\\s*-?\\s*(ms|msecs?|milliseconds?|s|secs?|seconds?|m|mins?|minutes?)?` +
    `|${DURATION_SOURCE}\\s+time-?out` +
    `|(?:timing|time|times)\\s+out\\s+after\\s+${DURATION_SOURCE})\\s*\\)?(?=\\s|,|$)`,
  "i",
);

const RETRIES = new RegExp(
  `${LEAD}(?:with\\s+|and\\s+)?(?:up\\s+to\\s+)?(${NUM})\\s+(retries|retry\\s+attempts|attempts)\\b` +
    `|${LEAD}(?:and\\s+)?retry(?:ing)?\\s+(?:it\\s+)?(?:up\\s+to\\s+)?(${NUM})\\s+times\\b`,
  "i",
);

const HEADERS = new RegExp(
  `${LEAD}(?:with|using|and)\\s+(?:the\\s+|an?\\s+)?(?:request\\s+)?headers?\\s*:?\\s*(${PH}(?:\\s*(?:,|and)\\s*${PH})*)`,
  "i",
);
const PARAMS = new RegExp(`${LEAD}(?:with|using)\\s+(?:the\\s+)?(?:query\\s+)?(?:params|parameters|query\\s+string)\\s*:?\\s*(${PH})`, "i");
const BODY = new RegExp(
  `${LEAD}(?:with|using|containing|and)\\s+(?:the\\s+|an?\\s+|this\\s+)?(?:json\\s+|request\\s+)?` +
    `(?:body|payload|data|content)?\\s*(?:of\\s+)?:?\\s*(${PH})(?=\\s|,|$)`,
  "i",
);
const METHOD =
  /(?:\s*,\s*|\s+)(?:using|with|via|as)\s+(?:the\s+|an?\s+)?(GET|POST|PUT|PATCH|DELETE)(?:\s+(?:method|request|verb|call))?\b/i;

type Extract = { rest: string; reason?: string };

function timeout(text: string, mods: HttpModifiers): Extract {
  const m = TIMEOUT.exec(text);
  if (!m) return { rest: text };
  const amountText = m[1] ?? m[3] ?? m[5] ?? "";
  const amount = /^an?$/i.test(amountText) ? 1 : parseNumber(amountText);
  const unit = m[2] ?? m[4] ?? m[6] ?? "s";
  const rest = text.slice(0, m.index) + text.slice(m.index + m[0].length);
  if (amount === undefined) return { rest, reason: `cannot read the timeout "${m[0].trim()}"` };
  const seconds = durationSeconds(toDuration(amount, unit));
  if (!(seconds > 0 && seconds <= 3600)) return { rest, reason: "a timeout must be more than 0 and at most 3600 seconds" };
  mods.timeout = seconds;
  return { rest };
}

function retries(text: string, mods: HttpModifiers): Extract {
  const m = RETRIES.exec(text);
  if (!m) return { rest: text };
  const rest = text.slice(0, m.index) + text.slice(m.index + m[0].length);
  const n = parseCount(m[1] ?? m[3] ?? "");
  const attempts = n === undefined ? undefined : m[2]?.toLowerCase() === "attempts" ? n : n + 1;
  if (attempts === undefined || attempts < 1 || attempts > 100) return { rest, reason: "retries must be a whole number (at most 99)" };
  mods.attempts = attempts;
  return { rest };
}

function headers(text: string, masked: Masked, mods: HttpModifiers): Extract {
  const m = HEADERS.exec(text);
  if (!m) return { rest: text };
  const rest = text.slice(0, m.index) + text.slice(m.index + m[0].length);
  const out: Record<string, string> = {};
  for (const ph of (m[1] ?? "").match(new RegExp(PH, "g")) ?? []) {
    const token = tokenOf(masked, ph);
    const pair = token?.kind === "quote" ? /^\s*([\w-]+)\s*:\s*(.*)$/.exec(token.text) : null;
    if (pair) out[pair[1] ?? ""] = (pair[2] ?? "").trim();
    else if (token?.kind === "json" && isStringRecord(token.value)) Object.assign(out, token.value);
    else return { rest, reason: "headers are written 'Name: value' or as a JSON object of strings" };
  }
  mods.headers = out;
  return { rest };
}

function params(text: string, masked: Masked, mods: HttpModifiers): Extract {
  const m = PARAMS.exec(text);
  if (!m) return { rest: text };
  const rest = text.slice(0, m.index) + text.slice(m.index + m[0].length);
  const value = tokenOf(masked, m[1])?.value;
  const ok =
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => ["string", "number", "boolean"].includes(typeof v));
  if (!ok) return { rest, reason: "query params are a JSON object of strings, numbers or booleans" };
  mods.params = value as Record<string, string | number | boolean>;
  return { rest };
}

function body(text: string, masked: Masked, mods: HttpModifiers): Extract {
  const m = BODY.exec(text);
  const token = tokenOf(masked, m?.[1]);
  if (!m || (token?.kind !== "json" && token?.kind !== "quote")) return { rest: text };
  mods.body = token.kind === "json" ? token.value : token.text;
  mods.hasBody = true;
  return { rest: text.slice(0, m.index) + text.slice(m.index + m[0].length) };
}

function method(text: string, mods: HttpModifiers): Extract {
  const m = METHOD.exec(text);
  if (!m) return { rest: text };
  mods.method = (m[1] ?? "GET").toUpperCase() as Method;
  return { rest: text.slice(0, m.index) + text.slice(m.index + m[0].length) };
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === "string");
}

/** Take the request options out of a clause; what is left is the verb and the URLs. */
export function extractModifiers(text: string, masked: Masked): { rest: string; mods: HttpModifiers; reason?: string } {
  const mods: HttpModifiers = { hasBody: false };
  let rest = text;
  const steps: ((t: string) => Extract)[] = [
    (t) => timeout(t, mods),
    (t) => retries(t, mods),
    (t) => headers(t, masked, mods),
    (t) => params(t, masked, mods),
    (t) => method(t, mods),
    (t) => body(t, masked, mods),
  ];
  for (const step of steps) {
    const out = step(rest);
    if (out.reason) return { rest: out.rest, mods, reason: out.reason };
    rest = out.rest;
  }
  return {
    rest: rest
      .replace(/\s+(?:as|in)\s+json\b/i, "")
      .replace(/\s+/g, " ")
      .trim(),
    mods,
  };
}
