import { namesData, readDataPhrase } from "./data-phrase.js";
import { PH } from "./mask.js";
import { parseConditions } from "./parse-condition.js";
import { parseHttp } from "./parse-http.js";
import { parsePathList, stripFileWords } from "./paths.js";
import type { ClauseContext, ParseOutcome } from "./clause-context.js";
import type { Step } from "./steps.js";

/** Clauses that reduce the data: count it ("how many ..."), merge several results into one. */

const COUNT_FORMS: readonly RegExp[] = [
  /^count(?:\s+(?:up\s+)?(?:the\s+number\s+of\s+|how\s+many\s+)?(.*?)(?:\s+there\s+are)?)?$/i,
  /^(?:get|compute|calculate|return|find|determine|work\s+out|give\s+me)\s+(?:the\s+)?(?:count|number|total(?:\s+number)?|amount)(?:\s+of\s+(.*))?$/i,
];

/** "count them", "count the items", "count how many posts there are", "get the number of users". */
export function parseCounting(ctx: ClauseContext): ParseOutcome {
  for (const re of COUNT_FORMS) {
    const m = re.exec(ctx.text);
    const phrase = m ? readDataPhrase(m[1] ?? "", ctx.scope, ctx.masked) : undefined;
    if (phrase && "reason" in phrase) return phrase;
    if (phrase) return [{ kind: "transform", ops: [...phrase.ops, { op: "count" }] }];
  }
  return undefined;
}

const ASKING = "(?:(?:find\\s+out|tell\\s+me|work\\s+out|figure\\s+out|check|see|determine|count|show\\s+me|report)\\s+)?";
const HOW_MANY = new RegExp(`^${ASKING}how\\s+many\\s+(.*?)\\??$`, "i");
const THERE_ARE = /^(.*?)(?:\s+(?:are\s+there|there\s+are|exist|there\s+is|is\s+there|do\s+we\s+have|we\s+have))?$/i;
const AT_URL = new RegExp(`^(.*?)\\s+(?:(?:are\\s+there|there\\s+are|are|exist)\\s+)?(?:at|in|on|from|under|behind)\\s+(${PH})$`, "i");
const URL_HAS = new RegExp(`^(.*?)\\s+(?:does|do)\\s+(${PH})\\s+(?:have|return|hold|contain|list|give(?:\\s+back)?)$`, "i");
const IS_COND = /^(?:(.+?)\s+)??(?:are|is|have|has|were|was)\s+(.+)$/i;

/**
 * "how many posts are there at URL", "how many posts does URL have", "how many users are active",
 * "how many posts have more than 10 likes", "tell me how many there are". A URL makes it a fetch
 * and a count; a condition ("are active") filters first.
 */
export function parseHowMany(ctx: ClauseContext): ParseOutcome {
  const m = HOW_MANY.exec(ctx.text);
  if (!m) return undefined;
  const rest = (m[1] ?? "").trim();
  const url = AT_URL.exec(rest) ?? URL_HAS.exec(rest);
  if (url) return parseHttp({ ...ctx, text: `count ${url[1] ?? ""} at ${url[2] ?? ""}` });
  const plain = THERE_ARE.exec(rest)?.[1] ?? "";
  const phrase = readDataPhrase(plain, ctx.scope);
  if (phrase && "reason" in phrase) return phrase;
  if (phrase) return [{ kind: "transform", ops: [...phrase.ops, { op: "count" }] }];
  const cond = IS_COND.exec(rest);
  if (!cond || !namesData(cond[1] ?? "", ctx.scope)) return undefined;
  const parsed = parseConditions(cond[2] ?? "", ctx.masked);
  if ("reason" in parsed) return parsed;
  return [{ kind: "transform", ops: [...parsed.ops, { op: "count" }] }];
}

const MERGE = /^(?:merge|combine|join|concatenate|aggregate|bundle|unite|put)\s*(.*)$/i;
const INTO_ONE =
  /\s*(?:(?:into|in|to|as)\s+(?:one|a\s+single|a\s+combined|a\s+merged|one\s+single)\s+(?:object|result|document|json(?:\s+(?:object|document))?|response|value))/i;
const TOGETHER = /\s+together\b/i;
const TARGET = /(?:^|\s+)(?:(?:and\s+)?(?:save|write|store)\s+(?:it\s+|them\s+|the\s+result\s+)?)?(?:into|in|to|as)\s+(.+)$/i;

/** "merge them", "combine the results into output/all.json", "merge both into one object", "join users and posts". */
export function parseMerge(ctx: ClauseContext): ParseOutcome {
  const m = MERGE.exec(ctx.text);
  if (!m) return undefined;
  let rest = (m[1] ?? "").replace(INTO_ONE, "").replace(TOGETHER, " ").trim();
  if (/^put\b/i.test(ctx.text) && !/\btogether\b/i.test(ctx.text)) return undefined;
  const steps: Step[] = [{ kind: "merge" }];
  const target = TARGET.exec(rest);
  if (target) {
    const paths = parsePathList(stripFileWords(target[1] ?? ""), ctx.masked);
    if (!paths) return undefined;
    steps.push(...paths.map((path): Step => ({ kind: "save", path, append: false })));
    rest = rest.slice(0, target.index).trim();
  }
  return namesData(rest, ctx.scope) ? steps : undefined;
}
