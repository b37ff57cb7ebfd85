import { type Masked, restore } from "./mask.js";
import { parseCounting, parseMerge } from "./parse-aggregate.js";
import { parseDelete, parseExists, parseList, parseRead } from "./parse-files.js";
import { parseFilter } from "./parse-filter.js";
import { parseHttp } from "./parse-http.js";
import { parseAddField, parseLimit, parsePick, parseRename, parseSort } from "./parse-reshape.js";
import { parseSql } from "./parse-sql.js";
import { parseWait } from "./parse-wait.js";
import { parseAppend, parseSave, parseWriteText } from "./parse-write.js";
import { type Joiner, type RawClause, weakCuts } from "./split.js";
import type { ClauseContext, ClauseParser, PlannedStep, Step } from "./steps.js";
import { normaliseLead } from "./vocabulary.js";

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
  parseCounting,
  parseLimit,
  parseSort,
  parseRename,
  parsePick,
  parseAddField,
  parseFilter,
];

const PARALLEL = /(?:\s*,\s*|\s+)(?:in\s+parallel|concurrently|simultaneously|at\s+the\s+same\s+time|at\s+once|in\s+one\s+go)\b|^(?:in\s+parallel|concurrently|simultaneously)\s*[,:]?\s*/gi;

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
  return steps.map((s, i) => ({ ...s, clause, joiner: i === 0 ? joiner : "and", parallel: i === 0 && parallel }));
}

/** Read one clause; when it fails whole, the longest head that parses is kept and the tail read on its own. */
function readClause(text: string, joiner: Joiner, masked: Masked, goal: string, out: ReadGoal): void {
  const parallel = new RegExp(PARALLEL.source, "i").test(text);
  const body = normaliseLead(text.replace(PARALLEL, "")).replace(/[\s,]+$/, "");
  if (body === "") return;
  const clause = restore(body, masked.tokens);
  const result = tryParsers({ text: body, masked, goal });
  if (Array.isArray(result)) {
    out.steps.push(...plan(result, clause, joiner, parallel));
    return;
  }
  // a parser that recognised the whole clause and said why it cannot plan it knows best
  if (result.reason !== undefined) {
    out.notUnderstood.push(`${clause} (${result.reason})`);
    return;
  }
  for (const cut of weakCuts(body)) {
    const head = normaliseLead(cut.head);
    const headSteps = head === "" ? undefined : tryParsers({ text: head, masked, goal });
    if (Array.isArray(headSteps)) {
      out.steps.push(...plan(headSteps, restore(head, masked.tokens), joiner, parallel));
      readClause(cut.tail, "and", masked, goal, out);
      return;
    }
  }
  out.notUnderstood.push(clause);
}

/** Read every clause of a masked goal. */
export function readClauses(clauses: readonly RawClause[], masked: Masked): ReadGoal {
  const goal = restore(masked.text, masked.tokens).toLowerCase();
  const out: ReadGoal = { steps: [], notUnderstood: [] };
  for (const c of clauses) readClause(c.text, c.joiner, masked, goal, out);
  return out;
}
