import { namesData, readDataPhrase } from "./data-phrase.js";
import { jsonataProblem } from "./jsonata/expression.js";
import type { ListOp } from "./list-ops.js";
import { PH, restore, tokenOf } from "./mask.js";
import type { ClauseContext, ParseOutcome } from "./clause-context.js";
import { IDENT, NUM, parseCount, parseField, parseFieldList } from "./values.js";

/** Clauses that reshape the data: sort, first N, rename, pick fields, add a computed field. */

type Order = "asc" | "desc";

const HIGH = "(?:high(?:est)?|large(?:st)?|big(?:gest)?|great(?:est)?|most|new(?:est)?|late(?:st)?|max(?:imum)?|z)";
const LOW = "(?:low(?:est)?|small(?:est)?|least|old(?:est)?|earl(?:y|iest)|min(?:imum)?|a)";
const DESC = new RegExp(
  `^(?:,\\s*)?(?:in\\s+)?(?:desc|descending|decreasing|reverse(?:d)?|reverse\\s+(?:alphabetical\\s+)?order|(?:descending|decreasing)\\s+order|z\\s*-\\s*a|(?:from\\s+)?${HIGH}\\s+to\\s+${LOW}|(?:highest|largest|biggest|most|newest|latest|greatest|most\\s+recent)\\s+first)$`,
  "i",
);
const ASC = new RegExp(
  `^(?:,\\s*)?(?:in\\s+)?(?:asc|ascending|increasing|alphabetical(?:ly)?|(?:ascending|increasing|alphabetical)\\s+order|a\\s*-\\s*z|(?:from\\s+)?${LOW}\\s+to\\s+${HIGH}|(?:lowest|smallest|least|oldest|earliest)\\s+first)$`,
  "i",
);

/** "descending", "in reverse order", "highest first" → desc; "", "alphabetically", "A-Z" → asc. */
function parseOrder(text: string): Order | undefined {
  const t = text.trim();
  if (t === "") return "asc";
  if (DESC.test(t)) return "desc";
  return ASC.test(t) ? "asc" : undefined;
}

const SORT = /^(?:sort|order|rank|arrange|reorder)\s+(.*?)\s*\bby\s+(.+)$/i;
const ORDER_SUFFIX =
  /^(.*?)\s*((?:in\s+)?(?:asc|ascending|desc|descending|reverse|reversed|alphabetical(?:ly)?|increasing|decreasing)(?:\s+order)?)?$/i;

const BY_AGE =
  /^(?:(?:sort|order|rank|arrange|sorted|ordered)(?:\s+(?:them|it|the\s+\w+))?\s+(?:with\s+(?:the\s+)?)?)?(?:newest|latest|most\s+recent|oldest|earliest)(?:\s+(?:ones|items|entries))?\s+first$/i;

/** "newest first" says an order but not which field holds the date: refused with how to say it. */
export function parseAgeOrder(ctx: ClauseContext): ParseOutcome {
  if (!BY_AGE.test(ctx.text)) return undefined;
  return { reason: 'say which field holds the date, e.g. "sort by created_at, newest first"' };
}

/** "sort by name", "sort them by likes descending", "order by likes, highest first", "sort descending by id". */
export function parseSort(ctx: ClauseContext): ParseOutcome {
  const m = SORT.exec(ctx.text);
  const head = ORDER_SUFFIX.exec(m?.[1] ?? "");
  if (!m || !head || !namesData(head[1] ?? "", ctx.scope)) return undefined;
  const field = new RegExp(`^((?:the\\s+)?(?:field\\s+)?(?:${IDENT}|${PH})(?:\\s+field)?)\\s*(.*)$`, "i").exec(m[2] ?? "");
  const by = parseField(field?.[1] ?? "", ctx.masked);
  const before = parseOrder(head[2] ?? "");
  const after = parseOrder(field?.[2] ?? "");
  if (by === undefined || before === undefined || after === undefined) return undefined;
  if (head[2] !== undefined && (field?.[2] ?? "").trim() !== "" && before !== after) {
    return { reason: "the sort order is said twice, differently" };
  }
  const order: Order = head[2] !== undefined ? before : after;
  return [{ kind: "transform", ops: [{ op: "sort", by, order }] }];
}

const LIMIT_FORMS: readonly RegExp[] = [
  new RegExp(
    `^(?:(?:take|keep|get|return|select|pick|grab|retain|leave|show|choose|use)\\s+)?(?:only\\s+|just\\s+)?(?:the\\s+)?(first|top|last)\\s+(${NUM})(?:\\s+((?!by\\b).*?))?(?:\\s+by\\s+(.+))?$`,
    "i",
  ),
  new RegExp(`^(?:take|keep|return|grab)\\s+(?:only\\s+|just\\s+)?()(${NUM})(?:\\s+(.*?))?()$`, "i"),
  new RegExp(`^limit\\s+(?:(.*?)\\s+)??(?:(?:to|at)\\s+)?(?:the\\s+(?:first|top)\\s+)?(${NUM})(?:\\s+(.*?))?()$`, "i"),
];

/** "by likes", "by likes descending": the sort a "top N by ..." asks for. */
function sortBy(text: string, which: string, ctx: ClauseContext): ListOp | undefined {
  const by = /^(.+?)(?:\s+((?:in\s+)?\S+(?:\s+order|\s+first)?))?$/i.exec(text.trim());
  const field = parseField(by?.[1] ?? "", ctx.masked);
  const order = by?.[2] === undefined ? (which === "top" ? "desc" : "asc") : parseOrder(by[2]);
  return field === undefined || order === undefined ? undefined : { op: "sort", by: field, order };
}

/**
 * "take the first 3", "the last 5", "top 5 by likes" (sorts descending first), "limit to 10 items",
 * "keep only 2". "top 3" with no order (no sort before it, no "by") is refused: top by what?
 */
export function parseLimit(ctx: ClauseContext): ParseOutcome {
  for (const [i, re] of LIMIT_FORMS.entries()) {
    const m = re.exec(ctx.text);
    if (!m) continue;
    const count = parseCount(m[2] ?? "");
    const which = i === 0 ? (m[1] ?? "first").toLowerCase() : "first";
    const noun = readDataPhrase((m[3] ?? "").replace(/^of\s+/i, ""), ctx.scope, ctx.masked);
    const leading = i === 2 ? (m[1] ?? "") : "";
    if (count === undefined || !noun || "reason" in noun || !namesData(leading, ctx.scope)) continue;
    const ops: ListOp[] = [];
    if (m[4]) {
      const sort = which === "last" ? undefined : sortBy(m[4], which, ctx);
      if (!sort) return undefined;
      ops.push(sort);
    } else if (which === "top" && !ctx.scope.done.has("sort")) {
      return { reason: `top ${count} by what? sort first (e.g. "sort by likes descending") or say "the top ${count} by likes"` };
    }
    ops.push(which === "last" ? { op: "last", count } : { op: "limit", count }, ...noun.ops);
    return [{ kind: "transform", ops }];
  }
  return undefined;
}

const FIELD_WORD = "(?:the\\s+)?(?:fields?|keys?|columns?|properties|property|attributes?|props)";
const RENAME_PAIR = new RegExp(
  `^(?:the\\s+)?(?:(?:field|key|column|property|attribute)\\s+)?(${IDENT}|${PH})(?:\\s+(?:field|key|column|property|attribute))?\\s+(?:to|as|into|->|→|=>)\\s+(?:the\\s+)?(?:(?:field|key|column|property|attribute)\\s+)?(${IDENT}|${PH})(?:\\s+(?:field|key|column|property|attribute))?$`,
  "i",
);

/** "rename the field name to full_name", "rename name to full_name and email to mail". */
export function parseRename(ctx: ClauseContext): ParseOutcome {
  const m = new RegExp(`^rename\\s+(?:${FIELD_WORD}\\s+)?(.+)$`, "i").exec(ctx.text);
  if (!m) return undefined;
  const fields: Record<string, string> = {};
  for (const pair of (m[1] ?? "").split(/\s*,\s*(?:and\s+)?|\s+and\s+/i)) {
    const p = RENAME_PAIR.exec(pair.trim());
    const from = parseField(p?.[1] ?? "", ctx.masked);
    const to = parseField(p?.[2] ?? "", ctx.masked);
    if (from === undefined || to === undefined) return undefined;
    fields[from] = to;
  }
  return [{ kind: "transform", ops: [{ op: "rename", fields }] }];
}

const PICK_VERB = "(?:pick|select|keep|retain|extract|return|take|get|project|include|show|choose|use)";
const PICK_FORMS: readonly RegExp[] = [
  new RegExp(`^${PICK_VERB}\\s+(?:only\\s+|just\\s+)?${FIELD_WORD}\\s*:?\\s+(.+?)(?:\\s+only)?$`, "i"),
  new RegExp(
    `^${PICK_VERB}\\s+(?:only\\s+|just\\s+)?(?:the\\s+)?(.+?)\\s+(?:fields?|keys?|columns?|properties|attributes?)(?:\\s+only)?$`,
    "i",
  ),
  /^(?:pick|select|project)\s+(?:only\s+|just\s+)?(.+?)(?:\s+only)?$/i,
];

/** "keep only the fields name and email", "select the id, title fields", "pick name, city". */
export function parsePick(ctx: ClauseContext): ParseOutcome {
  for (const re of PICK_FORMS) {
    const m = re.exec(ctx.text);
    const fields = m ? parseFieldList(m[1] ?? "", ctx.masked) : undefined;
    if (fields && !fields.some((f) => /^(?:first|top|all|everything|data|results?)$/i.test(f))) {
      return [{ kind: "transform", ops: [{ op: "pick", fields }] }];
    }
  }
  return undefined;
}

const ADD_FIELD = new RegExp(
  `^(?:add|compute|calculate|create)\\s+(?:an?\\s+|the\\s+)?(?:new\\s+)?(?:field|column|property|key)\\s+(${IDENT}|${PH})\\s+(?:=|equal\\s+to|as|computed\\s+as|with\\s+(?:the\\s+)?(?:value|expression)|set\\s+to)\\s*:?\\s*(.+)$`,
  "i",
);

/** "add a field total = likes * 2", "add a field label as 'name & \" (\" & city & \")\"'" (JSONata, per item). */
export function parseAddField(ctx: ClauseContext): ParseOutcome {
  const m = ADD_FIELD.exec(ctx.text);
  if (!m) return undefined;
  const name = parseField(m[1] ?? "", ctx.masked);
  const token = tokenOf(ctx.masked, (m[2] ?? "").trim());
  const expression = token?.kind === "quote" ? token.text : restore(m[2] ?? "", ctx.masked.tokens).trim();
  if (name === undefined || expression === "") return undefined;
  const problem = jsonataProblem(expression);
  if (problem !== undefined) return { reason: `the expression for ${name} does not parse as JSONata: ${problem}` };
  return [{ kind: "transform", ops: [{ op: "map", fields: { [name]: expression } }] }];
}
