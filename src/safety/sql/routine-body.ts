import type { WorkflowError } from "../../model/errors.js";
import { asFields, describe, type Fields, nodeOf, walk } from "./parse-tree.js";
import { refusedByGuard, SqlRule } from "./refusal.js";

/** Where a statement sits: its own text, how deep in function bodies, and what holds it (for messages). */
export interface StatementPlace {
  text: string;
  depth: number;
  within?: string;
}

/** The always-refused check, applied to each statement found in a body. */
export type StatementCheck = (kind: string, body: Fields, query: string, place: StatementPlace) => Promise<WorkflowError | undefined>;

/** Function bodies inside function bodies: deeper than this is refused rather than read. */
const MAX_DEPTH = 8;
/** PL/pgSQL statements that run SQL text built at run time. */
const DYNAMIC_PLPGSQL = new Set(["PLpgSQL_stmt_dynexecute", "PLpgSQL_stmt_dynfors", "dynquery"]);
/** PL/pgSQL statements that end the engine's transaction (allowed in procedures). */
const PLPGSQL_TRANSACTION = new Set(["PLpgSQL_stmt_commit", "PLpgSQL_stmt_rollback"]);
/** libpg-query's RawParseMode for PL/pgSQL expressions: 0 a statement, 2 an expression, 3-5 an assignment. */
const PARSE_MODE = { statement: 0, expression: 2 } as const;

const REWRITE_ADVICE = "Write the function in LANGUAGE sql or in PL/pgSQL without EXECUTE, or run the statements as db_query tasks.";

/**
 * Check a `CREATE FUNCTION/PROCEDURE` body, which runs whenever the function is called later, by any
 * task: SQL bodies are parsed and checked statement by statement; PL/pgSQL bodies are parsed with
 * libpg-query's PL/pgSQL parser, their dynamic SQL (`EXECUTE`) is refused and every embedded query and
 * expression is checked; any other language is code the guard cannot read, and is refused.
 */
export async function checkRoutine(
  fields: Fields,
  query: string,
  place: StatementPlace,
  check: StatementCheck,
): Promise<WorkflowError | undefined> {
  const what = describe("CreateFunctionStmt", fields);
  if (place.depth >= MAX_DEPTH)
    return dynamic(query, `${what} nests function bodies more than ${MAX_DEPTH} deep, which the guard does not read. ${REWRITE_ADVICE}`);
  const language = optionValue(fields, "language")?.toLowerCase() ?? "sql";
  const inner: StatementPlace = { text: "", depth: place.depth + 1, within: `${what}'s body` };
  if (language === "sql") return checkSqlBody(fields, query, inner, check);
  if (language === "plpgsql") return checkPlpgsqlBody(what, place.text, query, inner, check);
  return dynamic(
    query,
    `${what} in LANGUAGE ${language} runs code the SQL guard cannot read (a C library, an untrusted language, an internal function), ` +
      `so whatever it does would run unchecked when the function is called. ${REWRITE_ADVICE}`,
  );
}

async function checkSqlBody(
  fields: Fields,
  query: string,
  place: StatementPlace,
  check: StatementCheck,
): Promise<WorkflowError | undefined> {
  // A BEGIN ATOMIC body (sql_body) is part of the statement's tree, which the caller walks; a string body is parsed here.
  const source = optionValue(fields, "as");
  return source === undefined ? undefined : checkText(source, query, place, check);
}

async function checkPlpgsqlBody(
  what: string,
  text: string,
  query: string,
  place: StatementPlace,
  check: StatementCheck,
): Promise<WorkflowError | undefined> {
  const { parsePlPgSQL } = await import("libpg-query");
  let tree: unknown;
  try {
    tree = await parsePlPgSQL(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return dynamic(query, `${what}'s PL/pgSQL body cannot be parsed (${message}), so the guard cannot check it. Fix the function body.`);
  }
  let refusal: WorkflowError | undefined;
  const expressions: { query: string; mode: number }[] = [];
  walk(tree, (key, value) => {
    if (refusal) return;
    if (DYNAMIC_PLPGSQL.has(key)) {
      refusal = dynamic(
        query,
        `${what}'s PL/pgSQL body uses EXECUTE, which runs SQL text built when the function runs (COPY to a server file, ` +
          `SET, another statement) that no parse tree shows. ${REWRITE_ADVICE}`,
      );
    } else if (PLPGSQL_TRANSACTION.has(key)) {
      refusal = refusedByGuard(
        SqlRule.Transaction,
        query,
        `${what}'s PL/pgSQL body runs ${key.endsWith("commit") ? "COMMIT" : "ROLLBACK"}, which would end the transaction the engine owns for each db_query. Remove it.`,
      );
    } else if (key === "PLpgSQL_expr") {
      const expr = asFields(value);
      if (typeof expr.query === "string") expressions.push({ query: expr.query, mode: Number(expr.parseMode ?? 0) });
    }
  });
  if (refusal) return refusal;
  for (const expr of expressions) {
    const found = await checkText(asStatement(expr.query, expr.mode), query, place, check);
    if (found) return found;
  }
  return undefined;
}

/** A PL/pgSQL expression as a statement the SQL parser reads: `x := f(y)` becomes `SELECT x , f(y)`. */
function asStatement(text: string, mode: number): string {
  if (mode === PARSE_MODE.statement) return text;
  if (mode === PARSE_MODE.expression) return `SELECT ${text}`;
  const assign = text.indexOf(":=");
  const at = assign >= 0 ? assign : text.indexOf("=");
  const width = assign >= 0 ? 2 : 1;
  return at < 0 ? `SELECT ${text}` : `SELECT ${text.slice(0, at)} , ${text.slice(at + width)}`;
}

/** Parse SQL found in a body and check each of its statements; text that does not parse is refused. */
async function checkText(text: string, query: string, place: StatementPlace, check: StatementCheck): Promise<WorkflowError | undefined> {
  const { parse } = await import("libpg-query");
  let stmts: { stmt?: unknown; stmt_location?: number; stmt_len?: number }[];
  try {
    stmts = ((await parse(text)) as { stmts?: typeof stmts }).stmts ?? [];
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return dynamic(
      query,
      `part of ${place.within ?? "a function body"} cannot be parsed (${message}), so the guard cannot check it. Fix the function body.`,
    );
  }
  for (const s of stmts) {
    const start = s.stmt_location ?? 0;
    const own = s.stmt_len ? text.slice(start, start + s.stmt_len) : text.slice(start);
    const refusal = await check(...nodeOf(s.stmt), query, { ...place, text: own });
    if (refusal) return refusal;
  }
  return undefined;
}

/** A string option of CREATE FUNCTION: `language`, or the first part of `as` (the body). */
function optionValue(fields: Fields, name: string): string | undefined {
  const options = Array.isArray(fields.options) ? fields.options : [];
  for (const option of options) {
    const def = asFields(asFields(option).DefElem);
    if (def.defname !== name) continue;
    const arg = asFields(def.arg);
    const direct = asFields(arg.String).sval;
    if (typeof direct === "string") return direct;
    const first = Array.isArray(asFields(arg.List).items) ? (asFields(arg.List).items as unknown[])[0] : undefined;
    const sval = asFields(asFields(first).String).sval;
    return typeof sval === "string" ? sval : undefined;
  }
  return undefined;
}

function dynamic(query: string, reason: string): WorkflowError {
  return refusedByGuard(SqlRule.DynamicSql, query, reason);
}
