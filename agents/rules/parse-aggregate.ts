import { isDataPhrase } from "./data-phrase.js";
import { parsePathList, stripFileWords } from "./paths.js";
import type { ClauseContext, ParseOutcome, Step } from "./steps.js";

/** Clauses that reduce the data: count it, merge several results into one. */

const COUNT_FORMS: readonly RegExp[] = [
  /^count(?:\s+(?:up\s+)?(?:all\s+(?:of\s+)?)?(?:the\s+number\s+of\s+|how\s+many\s+)?(.*?)(?:\s+there\s+are)?)?$/i,
  /^(?:get|compute|calculate|return|find|determine|work\s+out|give\s+me)\s+(?:the\s+)?(?:count|number|total(?:\s+number)?|amount)(?:\s+of\s+(.*))?$/i,
];

/** "count them", "count the items", "count how many posts there are", "get the number of users". */
export function parseCounting(ctx: ClauseContext): ParseOutcome {
  for (const re of COUNT_FORMS) {
    const m = re.exec(ctx.text);
    if (m && isDataPhrase(m[1] ?? "", ctx.goal)) return [{ kind: "transform", ops: [{ op: "count" }] }];
  }
  return undefined;
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
  return isDataPhrase(rest, ctx.goal) ? steps : undefined;
}
