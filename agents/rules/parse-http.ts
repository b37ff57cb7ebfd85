import { readDataPhrase } from "./data-phrase.js";
import { extractModifiers, type HttpModifiers } from "./http-modifiers.js";
import { type Masked, PH, tokenOf } from "./mask.js";
import { parsePath, stripFileWords } from "./paths.js";
import type { ListOp } from "./list-ops.js";
import { type Scope, sourceWords, withSources } from "./scope.js";
import type { ClauseContext, ParseOutcome } from "./clause-context.js";
import type { BodySource, Method, Step } from "./steps.js";

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
  [
    /^(get|post|put|patch)\b\s*(?:(?:request|call)\s+)?(?:(?:to|on|at|against)\s+)?/i,
    (m) => ({ method: (m[1] ?? "get").toUpperCase() as Method }),
  ],
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
const PREPOSITION =
  /^(.*?)\s*\b(?:from|at|of|on|in|via|using|against|to)\s+(?:the\s+)?(?:(?:urls?|endpoints?|api|address|page|resource|site|server|service)\s+)?$/i;
const BARE = /^(.*?)\s*(?:the\s+)?(?:(?:urls?|endpoints?|api|address|page|resource)\s*)?$/i;

/**
 * The words before one URL: "the users from", ", and the posts at", "the names from", "the first 3
 * users from", "the number of posts at". Returns what the phrase asks for (only the first URL's may ask).
 */
function segmentBefore(seg: string, first: boolean, scope: Scope): { ok: boolean; ops: ListOp[] } {
  let s = seg.trimStart();
  if (!first) {
    const j = JOIN.exec(s);
    if (!j) return { ok: false, ops: [] };
    s = s.slice(j[0].length);
  }
  const phrase = (PREPOSITION.exec(s) ?? BARE.exec(s))?.[1];
  const read = phrase === undefined ? undefined : readDataPhrase(phrase, scope);
  if (!read || "reason" in read || (!first && read.ops.length > 0)) return { ok: false, ops: [] };
  return { ok: true, ops: read.ops };
}

interface UrlList {
  urls: string[];
  /** What the words before the first URL ask of its data ("the names", "the first 3"). */
  ops: ListOp[];
}

/** The URLs of a clause once the verb and options are gone, or undefined when other words remain. */
function urlList(rest: string, ctx: ClauseContext, fileVerb: boolean): UrlList | undefined {
  const phs = [...rest.matchAll(URL_PH)].filter((m) => isUrlToken(ctx.masked, m[0], fileVerb));
  if (phs.length === 0) return undefined;
  const urls = phs.map((m) => tokenOf(ctx.masked, m[0])?.text ?? "");
  const scope = urls.reduce((sc, url) => withSources(sc, sourceWords({ kind: "http", method: "GET", url, bodyFrom: "none" })), ctx.scope);
  let ops: ListOp[] = [];
  let from = 0;
  for (const [i, m] of phs.entries()) {
    const seg = segmentBefore(rest.slice(from, m.index), i === 0, scope);
    if (!seg.ok) return undefined;
    if (i === 0) ops = seg.ops;
    from = m.index + m[0].length;
  }
  if (!/^[\s,]*$/.test(rest.slice(from))) return undefined;
  return { urls, ops };
}

/** "POST {json} to", "PUT it to": the body said before the URL, for methods that send one. */
function leadingBody(l: Lead, ctx: ClauseContext, mods: HttpModifiers): { rest: string; from?: BodySource; ops?: ListOp[] } {
  if (l.method === "GET" || l.method === "DELETE") return { rest: l.rest };
  const literal = new RegExp(`^(${PH})\\s+(?:to|at|on|against)\\s+`, "i").exec(l.rest);
  const token = tokenOf(ctx.masked, literal?.[1]);
  if (literal && (token?.kind === "json" || token?.kind === "quote")) {
    mods.body = token.kind === "json" ? token.value : token.text;
    mods.hasBody = true;
    return { rest: l.rest.slice(literal[0].length) };
  }
  const data = new RegExp(`^(.+?)\\s+(?:to|at|on|against)\\s+(?=${PH})`, "i").exec(l.rest);
  const read = data ? readDataPhrase(data[1] ?? "", ctx.scope) : undefined;
  if (data && read && !("reason" in read)) return { rest: l.rest.slice(data[0].length), from: "input", ops: read.ops };
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
  const ops = [...list.ops, ...(l.count === true ? [{ op: "count" as const }] : [])];
  if (ops.length > 0 && steps.length > 1) {
    return { reason: "counting or taking the first items of several URLs at once is ambiguous; merge them first" };
  }
  if (ops.length > 0) steps.push({ kind: "transform", ops });
  if (before.ops !== undefined && before.ops.length > 0) steps.unshift({ kind: "transform", ops: before.ops });
  if (saveTo) {
    if (list.urls.length > 1) return { reason: "say where each download goes, or merge them first" };
    steps.push({ kind: "save", path: saveTo.path, append: false });
  }
  return steps;
}
