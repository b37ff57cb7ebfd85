import type { TransformOperation } from "../../src/model/action-config/transform-data.js";
import { isDataPhrase } from "./data-phrase.js";
import { PH, restore, tokenOf } from "./mask.js";
import type { ClauseContext, ParseOutcome } from "./steps.js";
import { IDENT, NUM, parseCount, parseField, parseFieldList } from "./values.js";

/** Clauses that reshape the data: sort, first N, rename, pick fields, add a computed field. */

type Order = "asc" | "desc";

const DESC = /^(?:,\s*)?(?:in\s+)?(?:desc|descending|decreasing|reverse(?:d)?|reverse\s+(?:alphabetical\s+)?order|(?:descending|decreasing)\s+order|z\s*-\s*a|from\s+(?:highest|largest|biggest|most|newest|latest|z)\s+to\s+\w+|(?:highest|largest|biggest|most|newest|latest|greatest)\s+first)$/i;
const ASC = /^(?:,\s*)?(?:in\s+)?(?:asc|ascending|increasing|alphabetical(?:ly)?|(?:ascending|increasing|alphabetical)\s+order|a\s*-\s*z|from\s+(?:lowest|smallest|least|oldest|earliest|a)\s+to\s+\w+|(?:lowest|smallest|least|oldest|earliest)\s+first)$/i;

/** "descending", "in reverse order", "highest first" → desc; "", "alphabetically", "A-Z" → asc. */
function parseOrder(text: string): Order | undefined {
  const t = text.trim();
  if (t === "") return "asc";
  if (DESC.test(t)) return "desc";
  return ASC.test(t) ? "asc" : undefined;
}

const SORT = /^(?:sort|order|rank|arrange|reorder)\s+(.*?)\s*\bby\s+(.+)$/i;
const ORDER_SUFFIX = /^(.*?)\s*((?:in\s+)?(?:asc|ascending|desc|descending|reverse|reversed|alphabetical(?:ly)?|increasing|decreasing)(?:\s+order)?)?$/i;

/** "sort by name", "sort them by likes descending", "order by likes, highest first", "sort descending by id". */
export function parseSort(ctx: ClauseContext): ParseOutcome {
  const m = SORT.exec(ctx.text);
  const head = ORDER_SUFFIX.exec(m?.[1] ?? "");
  if (!m || !head || !isDataPhrase(head[1] ?? "", ctx.goal)) return undefined;
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
    `^(?:(?:take|keep|get|return|select|pick|grab|retain|leave|show|choose|use)\\s+)?(?:only\\s+|just\\s+)?(?:the\\s+)?(first|top)\\s+(${NUM})(?:\\s+((?!by\\b).*?))?(?:\\s+by\\s+(.+))?$`,
    "i",
  ),
  new RegExp(`^(?:take|keep|return|grab)\\s+(?:only\\s+|just\\s+)?()(${NUM})(?:\\s+(.*?))?()$`, "i"),
  new RegExp(`^limit\\s+(?:(.*?)\\s+)??(?:(?:to|at)\\s+)?(?:the\\s+(?:first|top)\\s+)?(${NUM})(?:\\s+(.*?))?()$`, "i"),
];

/** "take the first 3", "top 5 by likes" (sorts descending first), "limit to 10 items", "keep only 2". */
export function parseLimit(ctx: ClauseContext): ParseOutcome {
  for (const [i, re] of LIMIT_FORMS.entries()) {
    const m = re.exec(ctx.text);
    if (!m) continue;
    const count = parseCount(m[2] ?? "");
    const noun = (m[3] ?? "").replace(/^of\s+/i, "");
    const leading = i === 2 ? (m[1] ?? "") : "";
    if (count === undefined || !isDataPhrase(noun, ctx.goal) || !isDataPhrase(leading, ctx.goal)) continue;
    const ops: TransformOperation[] = [];
    if (m[4]) {
      const by = /^(.+?)(?:\s+((?:in\s+)?\S+(?:\s+order|\s+first)?))?$/i.exec(m[4].trim());
      const field = parseField(by?.[1] ?? "", ctx.masked);
      const order = by?.[2] === undefined ? (m[1]?.toLowerCase() === "top" ? "desc" : "asc") : parseOrder(by[2]);
      if (field === undefined || order === undefined) return undefined;
      ops.push({ op: "sort", by: field, order });
    }
    ops.push({ op: "limit", count });
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
  new RegExp(`^${PICK_VERB}\\s+(?:only\\s+|just\\s+)?(?:the\\s+)?(.+?)\\s+(?:fields?|keys?|columns?|properties|attributes?)(?:\\s+only)?$`, "i"),
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
  return [{ kind: "transform", ops: [{ op: "map", fields: { [name]: expression } }] }];
}
