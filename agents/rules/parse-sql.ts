import { PH, tokenOf } from "./mask.js";
import type { ClauseContext, ParseOutcome } from "./clause-context.js";

/**
 * "run the SQL query SELECT ...", "execute SQL: ...", "query the database: ...", "run the query 'SELECT 1'",
 * optionally "with params [1, 'a']". The SQL itself was masked by sql-span.ts.
 */
const SQL_CLAUSE = new RegExp(
  "^(?:(?:run|execute|exec|perform)(?:\\s+(?:the|this|a|an|following))*(?:\\s+(?:sql|postgres(?:ql)?|database|db))?" +
    "(?:\\s+(?:query|statement|command))?|query\\s+(?:the\\s+)?(?:database|db)(?:\\s+(?:with|using|for))?)" +
    `\\s*:?\\s*(${PH})(?:\\s+(?:with|using)\\s+(?:the\\s+)?(?:params|parameters|values|arguments|args|bindings)\\s*:?\\s*(${PH}))?$`,
  "i",
);

/** Parse a SQL clause into a db_query step. */
export function parseSql(ctx: ClauseContext): ParseOutcome {
  const m = SQL_CLAUSE.exec(ctx.text);
  if (!m) return undefined;
  const sql = tokenOf(ctx.masked, m[1]);
  if (sql?.kind !== "sql" && sql?.kind !== "quote") return undefined;
  const query = sql.text.trim().replace(/;\s*$/, "");
  if (query === "") return { reason: "the SQL statement is empty" };
  if (sql.kind === "quote" && !/\b(?:sql|query|statement|database|db)\b/i.test(ctx.text)) return undefined;
  const paramsToken = m[2] === undefined ? undefined : tokenOf(ctx.masked, m[2]);
  if (m[2] !== undefined && !(paramsToken?.kind === "json" && Array.isArray(paramsToken.value))) {
    return { reason: 'SQL params are a JSON array, e.g. with params [1, "a"]' };
  }
  return [{ kind: "sql", query, params: (paramsToken?.value as unknown[] | undefined) ?? [] }];
}
