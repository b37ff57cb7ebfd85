import { type Masked, restore } from "./mask.js";
import { parseCounting, parseHowMany, parseMerge } from "./parse-aggregate.js";
import { parseDelete, parseExists, parseList, parseRead } from "./parse-files.js";
import { parseFilter } from "./parse-filter.js";
import { parseHttp } from "./parse-http.js";
import { parseAddField, parseAgeOrder, parseLimit, parsePick, parseRename, parseSort } from "./parse-reshape.js";
import { parseSelect } from "./parse-select.js";
import { parseSql } from "./parse-sql.js";
import { parseWait } from "./parse-wait.js";
import { parseAppend, parseSave, parseWriteText } from "./parse-write.js";
import { scopeOf } from "./scope.js";
import { clauseCuts, type Joiner, type RawClause } from "./split.js";
import type { ClauseContext, ClauseParser } from "./clause-context.js";
import type { PlannedStep, Step } from "./steps.js";
import { normaliseLead, stripFiller } from "./vocabulary.js";

/** Every clause parser, most specific first; the first that returns steps wins. */
const PARSERS: readonly ClauseParser[] = [
  parseSql,
  parseWait,
  parseHttp,
  parseExists,
  parseList,
  parseWriteText,
  parseAppend,
  parseMerge,
  parseSave,
  parseRead,
  parseDelete,
  parseHowMany,
  parseCounting,
  parseLimit,
  parseAgeOrder,
  parseSort,
  parseRename,
  parsePick,
  parseAddField,
  parseFilter,
  parseSelect,
];

const PARALLEL =
  /(?:\s*,\s*|\s+)(?:in\s+parallel|concurrently|simultaneously|at\s+the\s+same\s+time|at\s+once|in\s+one\s+go)\b|^(?:in\s+parallel|concurrently|simultaneously)\s*[,:]?\s*/gi;

/** The outcome of reading the clauses: steps for what was understood, the clauses that were not. */
export interface ReadGoal {
  steps: PlannedStep[];
  notUnderstood: string[];
}

function tryParsers(ctx: ClauseContext): Step[] | { reason?: string } {
  let reason: string | undefined;
  for (const parse of PARSERS) {
    const out = parse(ctx);
    if (Array.isArray(out) && out.length > 0) return out;
    if (out && !Array.isArray(out)) reason ??= out.reason;
  }
  return reason === undefined ? {} : { reason };
}

function plan(steps: Step[], clause: string, joiner: Joiner, parallel: boolean): PlannedStep[] {
  // steps of one clause after its first: several URLs are independent, the rest chain
  return steps.map((s, i) => ({ ...s, clause, from: [clause], joiner: i === 0 ? joiner : "and", parallel: i === 0 && parallel }));
}

/** Read one clause; when it fails whole, the longest head that parses is kept and the tail read on its own. */
function readClause(text: string, joiner: Joiner, masked: Masked, out: ReadGoal): void {
  const parallel = new RegExp(PARALLEL.source, "i").test(text);
  const unparallel = text.replace(PARALLEL, "");
  const body = normaliseLead(unparallel).replace(/[\s,]+$/, "");
  if (body === "") return;
  const clause = restore(stripFiller(unparallel).replace(/[\s,]+$/, ""), masked.tokens);
  const scope = scopeOf(out.steps);
  const result = tryParsers({ text: body, masked, scope });
  if (Array.isArray(result)) {
    out.steps.push(...plan(result, clause, joiner, parallel));
    return;
  }
  // a parser that recognised the whole clause and said why it cannot plan it knows best
  if (result.reason !== undefined) {
    out.notUnderstood.push(`${clause} (${result.reason})`);
    return;
  }
  for (const cut of clauseCuts(body)) {
    const head = normaliseLead(cut.head);
    const headSteps = head === "" ? undefined : tryParsers({ text: head, masked, scope });
    if (!Array.isArray(headSteps)) continue;
    // "keep only the names where city is Lima": the condition is on the items, before the selection
    if (cut.modifier && headSteps.some((s) => s.kind === "transform" && s.ops.some((o) => o.op === "select"))) continue;
    const tail: ReadGoal = {
      steps: [...out.steps, ...plan(headSteps, restore(stripFiller(cut.head), masked.tokens), joiner, parallel)],
      notUnderstood: [],
    };
    readClause(cut.tail, "and", masked, tail);
    // a modifier that cannot be read leaves the whole clause unread: name it all, not a fragment
    if (cut.modifier && tail.notUnderstood.length > 0) break;
    out.steps = tail.steps;
    out.notUnderstood.push(...tail.notUnderstood);
    return;
  }
  out.notUnderstood.push(clause);
}

/** Read every clause of a masked goal. */
export function readClauses(clauses: readonly RawClause[], masked: Masked): ReadGoal {
  const out: ReadGoal = { steps: [], notUnderstood: [] };
  for (const c of clauses) readClause(c.text, c.joiner, masked, out);
  return out;
}
