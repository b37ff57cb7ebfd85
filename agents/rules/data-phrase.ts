import type { ListOp } from "./list-ops.js";
import type { Masked } from "./mask.js";
import { CLAIMS, COUNT_NOUNS, DETERMINERS, GENERIC_NOUNS, NOT_FIELDS, singular } from "./nouns.js";
import { parseConditions } from "./parse-condition.js";
import { namesOnlySome, type Scope } from "./scope.js";
import { parseCount } from "./values.js";

/**
 * Data phrases: the noun phrases that name what a step works on ("it", "the users", "the names",
 * "the first 2", "name and email", "the number of posts"). Every word is accounted for: it only
 * names the data (a generic noun, a source's name, a filter's field or value restated), asks for an
 * operation (a field, a count, first/last N), or makes the phrase unreadable. The grammar:
 *
 *   phrase := pronoun | part ("of" phrase)? | part ("," | "and") part ... | phrase relative
 *   part   := determiner* quantifier? modifier* head?       quantifier := (first|top|last) N ("by" field order?)?
 *   relative := (where | whose | with | having | that have ...) conditions     (only with the goal's literals)
 */

/** What a data phrase asks for: operations (none when it only names the data), or why it cannot be planned. */
export type PhraseReading = { ops: ListOp[] } | { reason: string } | undefined;

interface Part {
  quant: ListOp[];
  fields: string[][];
  /** The head is "count", "number", "total": a count of the data, or a reference to one. */
  count: boolean;
}
type PartReading = Part | { reason: string } | undefined;

const PRONOUN =
  /^(?:(?:all|both|each)\s+of\s+)?(?:it|them|this|that|these|those|everything|both|all|(?:it|them)\s+all|the\s+lot|the\s+whole\s+thing)$/i;
const ORDER_WORDS: Readonly<Record<string, "asc" | "desc">> = { ascending: "asc", asc: "asc", descending: "desc", desc: "desc" };

/** Read a data phrase against what the data so far is; with the goal's literals, also "... whose city is 'Oslo'". */
export function readDataPhrase(text: string, scope: Scope, masked?: Masked): PhraseReading {
  const t = text
    .trim()
    .replace(/\s+/g, " ")
    .replace(/^(?:only|just)\s+(?=\S)/i, "")
    .replace(/^all\s+of\s+(?=\S)/i, "")
    .replace(/\btotal\s+(?=(?:number|count|amount)\b)/i, "")
    .replace(/\s+for\s+(?=(?:each|every)\s)/i, " of ");
  if (t === "" || PRONOUN.test(t)) return { ops: [] };
  const relative = masked === undefined ? undefined : RELATIVE.exec(t);
  if (relative && masked) return withCondition(t.slice(0, relative.index), t.slice(relative.index + relative[0].length), scope, masked);
  if (/[^\p{L}\p{N}\s',_-]/u.test(t) || t.split(" ").length > 12) return undefined;
  // "how many there are", "how many posts there are": a count of what follows
  const howMany = /^how many(?: (.+?))??(?: there are| are there)?$/i.exec(t);
  if (howMany) {
    const inner = readDataPhrase(howMany[1] ?? "", scope);
    return inner && "ops" in inner ? { ops: [...inner.ops, { op: "count" }] } : inner;
  }
  const of = /^(.+?)\s+of\s+(.+)$/i.exec(t);
  if (of) {
    const tail = readDataPhrase(of[2] ?? "", scope);
    if (!tail || "reason" in tail) return tail;
    const head = readList(of[1] ?? "", scope);
    if (!head || "reason" in head) return head;
    // "the number of ...", "the first 3 of ...", "the names of ...", "the name and email of ..."
    return { ops: [...tail.ops, ...partOps(head)] };
  }
  const read = readList(t, scope);
  if (!read || "reason" in read) return read;
  if (read.count && !scope.counted) {
    return { reason: `"${t}": nothing before it counts the data; say "count them" or "the number of <items>"` };
  }
  return { ops: partOps({ ...read, count: false }) };
}

const RELATIVE = /\s+(?:where|whose|with|having|(?:that|which|who)\s+(?:have|has|are|is))\s+/i;

/**
 * "the users whose city is Oslo", "those with more than 10 likes", "the titles of posts with more than
 * 40 likes": the condition filters the items the phrase names. When the phrase names a field ("the
 * names where city is Lima"), whether the condition is on the items or the field is unclear: refused.
 */
function withCondition(before: string, condition: string, scope: Scope, masked: Masked): PhraseReading {
  const conditions = parseConditions(condition, masked);
  if ("reason" in conditions) return conditions;
  if (namesData(before, scope)) return { ops: conditions.ops };
  const of = /^(.+?)\s+of\s+(.+)$/i.exec(before);
  if (!of || !namesData(of[2] ?? "", scope)) return undefined;
  const head = readList(of[1] ?? "", scope);
  // "the number of posts with more than 30 likes" counts the posts that pass
  return head && !("reason" in head) ? { ops: [...conditions.ops, ...partOps(head)] } : head;
}

/**
 * One part, or several joined by "," / "and": "name and email" (fields), "users and posts" (only
 * names), never a mix, never with "first N" or a count.
 */
function readList(text: string, scope: Scope): PartReading {
  const texts = text.split(/\s*,\s*(?:and\s+)?|\s+and\s+|\s*&\s*/i);
  // "the users and posts" names every result when each is named by one of the parts
  const all =
    scope.groups.length > 1 &&
    scope.groups.every((g) => texts.some((t) => t.split(/\s+/).some((w) => g.includes(singular(possessive(w))))));
  const parts = texts.map((p) => readPart(p, scope, all));
  const reason = parts.find((p) => p !== undefined && "reason" in p);
  if (reason) return reason;
  const read = parts.filter((p): p is Part => p !== undefined && !("reason" in p));
  if (read.length !== parts.length) return undefined;
  if (read.length === 1) return read[0];
  if (read.some((p) => p.quant.length > 0 || p.count)) return undefined;
  const fields = read.flatMap((p) => p.fields);
  if (fields.length > 0 && !read.every((p) => p.fields.length > 0)) return undefined;
  return { quant: [], fields, count: false };
}

/** Whether a phrase only names the data, asking for nothing ("them", "the users", "the filtered results"). */
export function namesData(text: string, scope: Scope): boolean {
  const read = readDataPhrase(text, scope);
  return read !== undefined && !("reason" in read) && read.ops.length === 0;
}

function partOps(part: Part): ListOp[] {
  return [
    ...part.quant,
    ...(part.fields.length ? [{ op: "select" as const, fields: part.fields }] : []),
    ...(part.count ? [{ op: "count" as const }] : []),
  ];
}

/** first N / last N / top N (needs an order: a sort before, or "by FIELD"). */
function quantifier(words: string[], scope: Scope): { ops: ListOp[]; rest: string[] } | undefined {
  const which = words[0]?.toLowerCase();
  if (which !== "first" && which !== "top" && which !== "last") return { ops: [], rest: words };
  // "the first user", "the last one": one item
  const single = parseCount(words[1] ?? "") === undefined && words.length === 2 && !words[1]?.endsWith("s");
  const count = single ? 1 : parseCount(words[1] ?? "");
  if (count === undefined) return undefined;
  let rest = words.slice(single ? 1 : 2);
  const by = rest.findIndex((w) => w.toLowerCase() === "by");
  if (by >= 0) {
    if (which === "last") return undefined;
    const [field, order, ...extra] = rest.slice(by + 1);
    const dir = order === undefined ? (which === "top" ? "desc" : "asc") : ORDER_WORDS[order.toLowerCase()];
    if (field === undefined || dir === undefined || extra.length > 0 || !/^[A-Za-z_$][\w$-]*$/.test(field)) return undefined;
    rest = rest.slice(0, by);
    return {
      ops: [
        { op: "sort", by: field, order: dir },
        { op: "limit", count },
      ],
      rest,
    };
  }
  if (which === "top" && !scope.done.has("sort")) return undefined;
  return { ops: [which === "last" ? { op: "last", count } : { op: "limit", count }], rest };
}

function claimProblem(word: string, scope: Scope): string | undefined {
  const claim = CLAIMS[word];
  if (claim === undefined || claim.ops.some((op) => scope.done.has(op))) return undefined;
  return `"${word}", but nothing before it ${claim.verb} the data`;
}

const possessive = (w: string): string => w.replace(/'s$|'$/i, "");

/** A source's name ("users" of /users); as a modifier, also a filter's field or value restated ("the active users"). */
function namesSource(word: string, scope: Scope, modifier: boolean): boolean {
  const w = singular(possessive(word));
  return scope.sources.has(w) || (modifier && (scope.filtered.has(w) || scope.filtered.has(word.toLowerCase())));
}

/** One noun phrase without "of" or lists: determiners, a quantifier, modifiers, a head. */
function readPart(text: string, scope: Scope, allNamed = false): PartReading {
  let words = text
    .trim()
    .split(/\s+/)
    .filter((w) => w !== "");
  while (words.length > 0 && DETERMINERS.has((words[0] ?? "").toLowerCase())) words = words.slice(1);
  const q = quantifier(words, scope);
  if (!q) return undefined;
  const part: Part = { quant: q.ops, fields: [], count: false };
  const head = q.rest.at(-1);
  if (head === undefined) return part;
  for (const word of [...q.rest.slice(0, -1), head]) {
    const problem = claimProblem(word.toLowerCase(), scope);
    if (problem) return { reason: problem };
    if (!allNamed && namesOnlySome(scope, possessive(word))) {
      return {
        reason: `"${word}" names one of the ${scope.groups.length} results before it; handle them one at a time, or merge them first`,
      };
    }
  }
  const modifiersOk = q.rest.slice(0, -1).every((w) => {
    const lower = possessive(w).toLowerCase();
    return GENERIC_NOUNS.has(lower) || CLAIMS[lower] !== undefined || namesSource(w, scope, true);
  });
  if (!modifiersOk) return undefined;
  const lower = possessive(head).toLowerCase();
  // a head that a filter tested is still a field: "where name contains 'a' ... the names" selects names
  if (GENERIC_NOUNS.has(lower) || CLAIMS[lower] !== undefined || namesSource(head, scope, false)) return part;
  if (COUNT_NOUNS.has(lower)) return { ...part, count: true };
  if (NOT_FIELDS.has(lower) || !/^[A-Za-z_][\w-]*$/.test(head)) return undefined;
  return { ...part, fields: [fieldCandidates(head)] };
}

/** The keys a field named in words may be: "names" → name, names; "cities" → city, cities; "email" → email. */
function fieldCandidates(word: string): string[] {
  const lower = word.toLowerCase();
  const one = singular(lower);
  if (one === lower) return [word];
  const kept = lower.startsWith(one) ? word.slice(0, one.length) : `${word.slice(0, -3)}y`;
  return [kept, word];
}
