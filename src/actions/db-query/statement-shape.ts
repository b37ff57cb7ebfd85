/**
 * True when `query` is one plain SELECT (or VALUES, TABLE): no INTO, no data-modifying WITH. Such a query can be
 * read through a cursor (`DECLARE ... CURSOR FOR`), a batch of rows at a time. Anything the parser rejects is false.
 */
export async function readsThroughCursor(query: string): Promise<boolean> {
  const { parse } = await import("libpg-query");
  let statements: unknown[];
  try {
    statements = ((await parse(query)) as { stmts?: { stmt?: unknown }[] }).stmts?.map((s) => s.stmt) ?? [];
  } catch {
    return false;
  }
  if (statements.length !== 1) return false;
  const [kind, body] = Object.entries(asFields(statements[0]))[0] ?? [];
  return kind === "SelectStmt" && !hasKey(body, (key) => key === "intoClause" || (/^[A-Z]\w*Stmt$/.test(key) && key !== "SelectStmt"));
}

function hasKey(value: unknown, test: (key: string) => boolean): boolean {
  if (Array.isArray(value)) return value.some((item) => hasKey(item, test));
  if (value === null || typeof value !== "object") return false;
  return Object.entries(value).some(([key, child]) => child !== undefined && child !== null && (test(key) || hasKey(child, test)));
}

function asFields(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
