import { isDataPhrase } from "./data-phrase.js";
import { extractModifiers, type HttpModifiers } from "./http-modifiers.js";
import { type Masked, PH, tokenOf } from "./mask.js";
import { parsePath, stripFileWords } from "./paths.js";
import type { BodySource, ClauseContext, Method, ParseOutcome, Step } from "./steps.js";
import { NUM, parseCount } from "./values.js";

/**
 * HTTP clauses: "fetch/get/download/call ... URL(s)", "POST {json} to URL", "PUT it to URL",
 * "make a PATCH request to URL with body {...}", "count the posts at URL", "get the first 3 users from URL".
 */

interface Lead {
  method: Method;
  count?: boolean;
  /** A verb that also names a file action ("read", "delete"): only a literal URL makes it HTTP. */
  fileVerb?: boolean;
  rest: string;
}

const LEADS: readonly [RegExp, (m: RegExpExecArray) => Omit<Lead, "rest">][] = [
  [
    /^(?:make|send|do|issue|perform|fire(?:\s+off)?)\s+(?:an?\s+)?(get|post|put|patch|delete)\s+(?:http\s+)?(?:request|call)\s*(?:(?:to|at|on|against|for)\s+)?/i,
    (m) => ({ method: (m[1] ?? "get").toUpperCase() as Method }),
  ],
  [/^(?:send|make|issue)\s+an?\s+(?:http\s+)?request\s+(?:to|at|for)\s+/i, () => ({ method: "GET" })],
  [/^(delete|remove)\b\s*(?:(?:request|call)\s+)?(?:(?:to|on|at|against)\s+)?/i, () => ({ method: "DELETE", fileVerb: true })],
  [/^(get|post|put|patch)\b\s*(?:(?:request|call)\s+)?(?:(?:to|on|at|against)\s+)?/i, (m) => ({ method: (m[1] ?? "get").toUpperCase() as Method })],
  [/^(?:send|submit|upload|push)\b\s*/i, () => ({ method: "POST" })],
  [/^(?:read|load|open)\b\s*/i, () => ({ method: "GET", fileVerb: true })],
  [/^(?:fetch|download|retrieve|call|pull|request|grab|hit|query|access|scrape|poll|ping|curl)\b\s*/i, () => ({ method: "GET" })],
  [/^count\b\s*/i, () => ({ method: "GET", count: true })],
];

function lead(text: string): Lead | undefined {
  for (const [re, make] of LEADS) {
    const m = re.exec(text);
    if (m) return { ...make(m), rest: text.slice(m[0].length) };
  }
  return undefined;
}

const URL_PH = new RegExp(PH, "g");

function isUrlToken(masked: Masked, ph: string, fileVerb: boolean): boolean {
  const token = tokenOf(masked, ph);
  return token?.kind === "url" || (token?.kind === "ref" && !fileVerb);
}

const JOIN = /^(?:,\s*(?:and\s+)?(?:also\s+)?|and\s+(?:also\s+)?|&\s*|plus\s+|as\s+well\s+as\s+)/i;
const QUANTIFIER = new RegExp(`^(?:all\\s+(?:of\\s+)?)?(?:the\\s+)?(first|top)\\s+(${NUM})\\b\\s*`, "i");
const PREPOSITION =
  /^(.*?)\s*\b(?:from|at|of|on|in|via|using|against|to)\s+(?:the\s+)?(?:(?:urls?|endpoints?|api|address|page|resource|site|server|service)\s+)?$/i;
const COUNT_OF = /^(?:the\s+)?(?:total\s+)?(?:number|count|amount|total)\s+of\s+/i;
const BARE = /^(.*?)\s*(?:the\s+)?(?:(?:urls?|endpoints?|api|address|page|resource)\s*)?$/i;

/** The words before one URL: "the users from", ", and the posts at". Returns the "first N" asked for. */
function segmentBefore(seg: string, first: boolean, goal: string): { ok: boolean; limit?: number; count?: boolean } {
  let s = seg.trimStart();
  if (!first) {
    const j = JOIN.exec(s);
    if (!j) return { ok: false };
    s = s.slice(j[0].length);
  }
  let limit: number | undefined;
  const q = first ? QUANTIFIER.exec(s) : null;
  if (q) {
    limit = parseCount(q[2] ?? "");
    s = s.slice(q[0].length);
  }
  let phrase = (PREPOSITION.exec(s) ?? BARE.exec(s))?.[1];
  // "the number of posts at URL" asks for a count, not the posts
  const count = first && phrase !== undefined ? COUNT_OF.exec(phrase) : null;
  if (count) phrase = phrase?.slice(count[0].length);
  if (phrase === undefined || !isDataPhrase(phrase, goal)) return { ok: false };
  return { ok: true, ...(limit === undefined ? {} : { limit }), ...(count ? { count: true } : {}) };
}

interface UrlList {
  urls: string[];
  limit?: number;
  count?: boolean;
}

/** The URLs of a clause once the verb and options are gone, or undefined when other words remain. */
function urlList(rest: string, ctx: ClauseContext, fileVerb: boolean): UrlList | undefined {
  const phs = [...rest.matchAll(URL_PH)].filter((m) => isUrlToken(ctx.masked, m[0], fileVerb));
  if (phs.length === 0) return undefined;
  const urls: string[] = [];
  let limit: number | undefined;
  let count = false;
  let from = 0;
  for (const [i, m] of phs.entries()) {
    const seg = segmentBefore(rest.slice(from, m.index), i === 0, ctx.goal);
    if (!seg.ok) return undefined;
    limit ??= seg.limit;
    if (seg.count) count = true;
    urls.push(tokenOf(ctx.masked, m[0])?.text ?? "");
    from = m.index + m[0].length;
  }
  if (!/^[\s,]*$/.test(rest.slice(from))) return undefined;
  return { urls, ...(limit === undefined ? {} : { limit }), ...(count ? { count } : {}) };
}

/** "POST {json} to", "PUT it to": the body said before the URL, for methods that send one. */
function leadingBody(l: Lead, ctx: ClauseContext, mods: HttpModifiers): { rest: string; from?: BodySource } {
  if (l.method === "GET" || l.method === "DELETE") return { rest: l.rest };
  const literal = new RegExp(`^(${PH})\\s+(?:to|at|on|against)\\s+`, "i").exec(l.rest);
  const token = tokenOf(ctx.masked, literal?.[1]);
  if (literal && (token?.kind === "json" || token?.kind === "quote")) {
    mods.body = token.kind === "json" ? token.value : token.text;
    mods.hasBody = true;
    return { rest: l.rest.slice(literal[0].length) };
  }
  const data = new RegExp(`^(.+?)\\s+(?:to|at|on|against)\\s+(?=${PH})`, "i").exec(l.rest);
  if (data && isDataPhrase(data[1] ?? "", ctx.goal)) return { rest: l.rest.slice(data[0].length), from: "input" };
  return { rest: l.rest };
}

const TRAILING_FILE = new RegExp(`^(.*${PH})\\s+(?:(?:and\\s+)?(?:save|write|store)\\s+(?:it\\s+)?)?(?:to|into|as|in)\\s+(.+)$`, "i");

/** "download URL to out.json": a GET that also saves to a file. */
function trailingFile(rest: string, ctx: ClauseContext): { rest: string; path: string } | undefined {
  const m = TRAILING_FILE.exec(rest);
  const path = m ? parsePath(stripFileWords(m[2] ?? ""), ctx.masked) : undefined;
  return m && path !== undefined ? { rest: m[1] ?? "", path } : undefined;
}

function bodySource(method: Method, mods: HttpModifiers, from: BodySource | undefined): BodySource {
  if (mods.hasBody) return "literal";
  if (from) return from;
  return method === "GET" || method === "DELETE" ? "none" : "auto";
}

/** Parse an HTTP clause into one request step per URL (plus "count"/"first N" when asked). */
export function parseHttp(ctx: ClauseContext): ParseOutcome {
  if (!new RegExp(PH).test(ctx.text)) return undefined;
  const { rest, mods, reason } = extractModifiers(ctx.text, ctx.masked);
  const l = lead(rest);
  if (!l) return undefined;
  if (reason) return { reason };
  const before = leadingBody(l, ctx, mods);
  const saveTo = l.method === "GET" ? trailingFile(before.rest, ctx) : undefined;
  const list = urlList(saveTo?.rest ?? before.rest, ctx, l.fileVerb === true);
  if (!list) return undefined;
  const method = mods.method ?? l.method;
  const from = bodySource(method, mods, before.from);
  const steps: Step[] = list.urls.map((url) => ({
    kind: "http",
    method,
    url,
    bodyFrom: from,
    ...(from === "literal" ? { body: mods.body } : {}),
    ...(mods.timeout === undefined ? {} : { timeout: mods.timeout }),
    ...(mods.headers === undefined ? {} : { headers: mods.headers }),
    ...(mods.params === undefined ? {} : { params: mods.params }),
    ...(mods.attempts === undefined ? {} : { attempts: mods.attempts }),
  }));
  const count = l.count === true || list.count === true;
  if ((count || list.limit !== undefined) && steps.length > 1) {
    return { reason: "counting or taking the first items of several URLs at once is ambiguous; merge them first" };
  }
  if (count) steps.push({ kind: "transform", ops: [{ op: "count" }] });
  if (list.limit !== undefined) steps.push({ kind: "transform", ops: [{ op: "limit", count: list.limit }] });
  if (saveTo) {
    if (list.urls.length > 1) return { reason: "say where each download goes, or merge them first" };
    steps.push({ kind: "save", path: saveTo.path, append: false });
  }
  return steps;
}
