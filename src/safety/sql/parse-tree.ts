/** A parse-tree node as libpg-query returns it: `{ NodeType: { ...fields } }`. */
export type Fields = Record<string, unknown>;

/** SQL words for statement nodes whose name does not read as SQL. */
const STATEMENT_WORDS: Record<string, string> = {
  CreateStmt: "CREATE TABLE",
  IndexStmt: "CREATE INDEX",
  ViewStmt: "CREATE VIEW",
  CreateTableAsStmt: "CREATE TABLE AS",
  RenameStmt: "ALTER ... RENAME",
  VariableShowStmt: "SHOW",
  DeclareCursorStmt: "DECLARE",
  ClosePortalStmt: "CLOSE",
  CheckPointStmt: "CHECKPOINT",
  DoStmt: "DO",
  CallStmt: "CALL",
  AlterSystemStmt: "ALTER SYSTEM",
  CreateTableSpaceStmt: "CREATE TABLESPACE",
  CreateFdwStmt: "CREATE FOREIGN DATA WRAPPER",
  CreateForeignServerStmt: "CREATE SERVER",
  CreateForeignTableStmt: "CREATE FOREIGN TABLE",
  CreateUserMappingStmt: "CREATE USER MAPPING",
  CreatePLangStmt: "CREATE LANGUAGE",
};

/** Visit every object key (with a value that is set) in a parse tree, depth first. */
export function walk(value: unknown, visit: (key: string, value: unknown) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, visit);
  } else if (value !== null && typeof value === "object") {
    for (const [key, child] of Object.entries(value)) {
      if (child === undefined || child === null) continue;
      visit(key, child);
      walk(child, visit);
    }
  }
}

/** The type and fields of a `{ NodeType: {...} }` node. */
export function nodeOf(node: unknown): [string, Fields] {
  const entry = Object.entries(asFields(node))[0];
  return entry ? [entry[0], asFields(entry[1])] : ["unknown statement", {}];
}

export function asFields(value: unknown): Fields {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Fields) : {};
}

/** The strings of a name list (`[{String: {sval}}]`), e.g. `pg_catalog.set_config` as two names. */
export function namesOf(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.map((n) => asFields(asFields(n).String).sval).filter((s): s is string => typeof s === "string");
}

/** A statement node in SQL words: `DeleteStmt` is DELETE, `TransactionStmt` BEGIN or COMMIT... */
export function describe(kind: string, body: Fields): string {
  if (kind === "TransactionStmt") {
    const word = String(body.kind ?? "")
      .replace(/^TRANS_STMT_/, "")
      .replace(/_/g, " ");
    return word === "PREPARE" ? "PREPARE TRANSACTION" : word === "START" ? "START TRANSACTION" : word;
  }
  if (kind === "VariableSetStmt") {
    if (String(body.kind).startsWith("VAR_RESET")) return "RESET";
    return body.name === "TRANSACTION" || body.name === "SESSION CHARACTERISTICS" ? `SET ${String(body.name)}` : "SET";
  }
  if (kind === "GrantStmt") return body.is_grant ? "GRANT" : "REVOKE";
  if (kind === "CreateFunctionStmt") return body.is_procedure ? "CREATE PROCEDURE" : "CREATE FUNCTION";
  return (
    STATEMENT_WORDS[kind] ??
    kind
      .replace(/Stmt$/, "")
      .replace(/([a-z])([A-Z])/g, "$1 $2")
      .toUpperCase()
  );
}
