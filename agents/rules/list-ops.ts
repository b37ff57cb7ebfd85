import type { FilterOperator as EngineOperator } from "../../src/model/action-config/transform-data.js";

/**
 * What a transform step does to the data, as the rule planner understands it. These are the
 * planner's own operations: they compile to one JSONata expression (rules/jsonata/), so the plan
 * says exactly what runs, including unwrapping `{items: [...]}` and failing on data that is not a list.
 */

/** Comparison of one field with a value (`exists` takes true/false): the engine's operators and three more. */
export type FilterOperator = (typeof EngineOperator)[number] | "not_contains" | "starts_with" | "ends_with";

export type Filter = { op: "filter"; field: string; operator: FilterOperator; value?: unknown };

export type ListOp =
  | Filter
  | { op: "sort"; by: string; order: "asc" | "desc" }
  /** The first `count` items. */
  | { op: "limit"; count: number }
  /** The last `count` items. */
  | { op: "last"; count: number }
  | { op: "count" }
  | { op: "rename"; fields: Record<string, string> }
  /** Objects with only these keys, exactly as named ("keep only the fields a, b"). */
  | { op: "pick"; fields: string[] }
  /** Add or replace fields computed per item (JSONata, item as `$`). */
  | { op: "map"; fields: Record<string, string> }
  /**
   * Fields named in words ("the names", "name and email"): each entry lists the keys it may be,
   * tried in order ("names" → name, names). One entry gives the values, several give objects.
   */
  | { op: "select"; fields: string[][] };

const SYMBOL: Readonly<Record<FilterOperator, string>> = {
  "==": "==",
  "!=": "!=",
  ">": ">",
  ">=": ">=",
  "<": "<",
  "<=": "<=",
  contains: "contains",
  not_contains: "does not contain",
  starts_with: "starts with",
  ends_with: "ends with",
  in: "in",
  exists: "exists",
};

function describeFilter(op: Filter): string {
  if (op.operator === "exists") return `keep items where ${op.field} ${op.value === false ? "does not exist" : "exists"}`;
  return `keep items where ${op.field} ${SYMBOL[op.operator]} ${JSON.stringify(op.value)}`;
}

/** The key(s) a field selection reads: `name`, or `name (or names)`. */
function describeKeys(keys: readonly string[]): string {
  const [first, ...rest] = keys;
  return rest.length === 0 ? String(first) : `${first} (or ${rest.join(" or ")})`;
}

/** A short description of one operation, for task names, errors and the expression's comment. */
export function describeOp(op: ListOp): string {
  switch (op.op) {
    case "filter":
      return describeFilter(op);
    case "sort":
      return `sort by ${op.by} (${op.order === "desc" ? "descending" : "ascending"})`;
    case "limit":
      return `take the first ${op.count}`;
    case "last":
      return `take the last ${op.count}`;
    case "rename":
      return `rename ${Object.entries(op.fields)
        .map(([a, b]) => `${a} to ${b}`)
        .join(", ")}`;
    case "pick":
      return `keep only the fields ${op.fields.join(", ")}`;
    case "map":
      return `set ${Object.entries(op.fields)
        .map(([k, e]) => `${k} = ${e}`)
        .join(", ")}`;
    case "count":
      return "count the items";
    case "select":
      return op.fields.length === 1
        ? `take the ${describeKeys(op.fields[0] ?? [])} of each item`
        : `keep only ${op.fields.map(describeKeys).join(", ")} of each item`;
  }
}
