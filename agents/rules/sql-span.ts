import { type Masked, pushToken, restore, type Token } from "./mask.js";

/**
 * SQL after "run the SQL query", "execute", "query the database:" is masked as one token, so its
 * commas, ANDs and keywords are never read as clause separators. It ends at a clause separator:
 * ";", ", then", " then ", a sentence end, "with params", or ", and"/"and" + a step verb.
 */

const SQL_PREFIX = new RegExp(
  "\\b(?:(?:run|execute|exec|perform)(?:\\s+(?:the|this|a|an|following))*" +
    "(?:\\s+(?:sql|postgres(?:ql)?|database|db))?(?:\\s+(?:query|statement|command))?" +
    "|query\\s+(?:the\\s+)?(?:database|db)(?:\\s+(?:with|using|for))?)" +
    "\\s*:?\\s*(?=(?:select|with|insert|update|delete|create|drop|alter|values|explain|truncate|table)\\b)",
  "gi",
);

const TERMINATOR = new RegExp(
  [
    "\\s*;",
    ",\\s*(?:and\\s+)?then\\b",
    "\\s+(?:and\\s+)?then\\s",
    "\\.\\s+(?=[A-Z])",
    "\\s+(?:with|using)\\s+(?:the\\s+)?(?:params|parameters|values|arguments|args|bindings)\\b",
    "(?:,\\s*|\\s+)(?:and\\s+)?(?=(?:save|write|store|export|dump|persist|wait|sleep|pause|fetch|download|" +
      "send|post|filter|sort|take|keep|rename|pick|count|merge|combine|append|list|read|check|create|" +
      "also|finally)\\s)",
  ].join("|"),
  "i",
);

/** Mask every SQL statement that follows a "run/execute SQL" phrase. */
export function maskSql(masked: Masked): Masked {
  const tokens: Token[] = [...masked.tokens];
  let text = masked.text;
  let from = 0;
  for (;;) {
    SQL_PREFIX.lastIndex = from;
    const m = SQL_PREFIX.exec(text);
    if (!m) break;
    const start = m.index + m[0].length;
    const rest = text.slice(start);
    const end = TERMINATOR.exec(rest)?.index ?? rest.length;
    const span = rest.slice(0, end).replace(/\s+$/, "");
    if (span.length === 0) {
      from = start + 1;
      continue;
    }
    const sql = restore(span, tokens).trim();
    const ph = pushToken(tokens, { kind: "sql", raw: span, text: sql });
    text = text.slice(0, start) + ph + rest.slice(span.length);
    from = start + ph.length;
  }
  return { text, tokens };
}
