import { jsonata } from "../../../utils/jsonata.js";
import { ErrorCode, WorkflowError } from "../../model/errors.js";
import type { TransformOperation } from "../../model/action-config/transform-data.js";

type Filter = Extract<TransformOperation, { op: "filter" }>;

/**
 * Helpers every compiled expression starts with. JSONata collapses a one-item sequence into the
 * item, and `[...]` flattens an array item into its elements, so list operations run on wrapped
 * items (`{"v": item}`, never collapsed or flattened) and `$unwrap` rebuilds a real array: always an
 * array, possibly empty, even of one item that is itself an array.
 * `$list` makes a value a list (nothing and null give []); `$has` is membership with JSONata's deep
 * `=`; `$rank` orders numbers, then strings, then the rest (kept in input order: `$sort` is stable);
 * `$onEach` applies `$f` to every item of an array, or to the value itself.
 */
const PRELUDE = [
  `$list := function($x){ $type($x) = "array" ? $x : ($exists($x) and $type($x) != "null" ? [$x] : []) }`,
  `$wrap := function($x){ [$map($list($x), function($v){ {"v": $v} })] }`,
  `$unwrap := function($ws){ $count($ws) = 1 ` +
    `? ($v := $lookup($ws[0], "v"); $type($v) = "array" ? [[$v]] : [$v]) ` +
    `: [$map($ws, function($w){ $lookup($w, "v") })] }`,
  `$has := function($xs, $x){ $count($filter($xs, function($e){ $e = $x })) > 0 }`,
  `$rank := function($v){ $type($v) = "number" ? 0 : ($type($v) = "string" ? 1 : 2) }`,
  `$onEach := function($x, $f){ $type($x) = "array" ` +
    `? $unwrap([$map($wrap($x), function($w){ {"v": $f($lookup($w, "v"))} })]) : $f($x) }`,
];

/** Compile shorthand operations into one JSONata expression applied to the input (`$`), in order. */
export function compileOperations(ops: readonly TransformOperation[]): string {
  const steps = ops.map((op, i) => `  $s${i + 1} := ${compileOperation(op, `$s${i}`, i)};`);
  return ["(", ...PRELUDE.map((p) => `  ${p};`), "  $s0 := $;", ...steps, `  $s${ops.length}`, ")"].join("\n");
}

/** One operation as an expression of the variable `v` holding the value so far. */
function compileOperation(op: TransformOperation, v: string, index: number): string {
  switch (op.op) {
    case "filter":
      return `$unwrap([$filter($wrap(${v}), function($w){ ($it := $lookup($w, "v"); ${compilePredicate(op, index)}) })])`;
    case "rename":
      return compileRename(op.fields, v);
    case "map":
      return compileMap(op.fields, v, index);
    case "pick": {
      const entries = op.fields.map((f) => `${literal(f)}: ${field("$o", f)}`);
      return `$onEach(${v}, function($o){ $type($o) = "object" ? { ${entries.join(", ")} } : $o })`;
    }
    case "sort":
      return compileSort(op.by, op.order, v);
    case "limit":
      return `$unwrap([$filter($wrap(${v}), function($w, $i){ $i < ${op.count} })])`;
    case "count":
      return `($type(${v}) = "array" ? $count(${v}) : ($exists(${v}) and $type(${v}) != "null" ? 1 : 0))`;
    case "merge":
      return compileMerge(v);
  }
}

/** The filter predicate on `$it`; `$f` holds the field's value. Type mismatches are false, never errors. */
function compilePredicate(op: Filter, index: number): string {
  const f = `$f := ${field("$it", op.field)}`;
  if (op.operator === "exists") {
    if (op.value !== undefined && typeof op.value !== "boolean") {
      throw configError(index, `"exists" takes no value, or true/false (got ${JSON.stringify(op.value)})`);
    }
    return `(${f}; ${op.value === false ? "$not($exists($f))" : "$exists($f)"})`;
  }
  if (op.value === undefined) throw configError(index, `operator "${op.operator}" on "${op.field}" needs a value`);
  const value = literal(op.value);
  switch (op.operator) {
    case "==":
      return `(${f}; $f = ${value})`;
    case "!=":
      return `(${f}; $not($f = ${value}))`;
    case "contains":
      return typeof op.value === "string"
        ? `(${f}; $type($f) = "string" ? $contains($f, ${value}) : ($type($f) = "array" ? $has($f, ${value}) : false))`
        : `(${f}; $type($f) = "array" ? $has($f, ${value}) : false)`;
    case "in":
      if (!Array.isArray(op.value)) throw configError(index, `operator "in" needs an array value`);
      return `(${f}; $has(${value}, $f))`;
    default: {
      const type = typeof op.value;
      if (type !== "number" && type !== "string") {
        throw configError(index, `operator "${op.operator}" compares numbers or strings (got ${value})`);
      }
      return `(${f}; $type($f) = "${type}" ? $f ${op.operator} ${value} : false)`;
    }
  }
}

/** Renames keys in place (key order kept); keys not listed stay. */
function compileRename(fields: Record<string, string>, v: string): string {
  const from = literal(Object.keys(fields));
  const map = literal(fields);
  const renameKey = `($k in ${from} ? $lookup(${map}, $k) : $k)`;
  return `$onEach(${v}, function($o){ $type($o) = "object" ` + `? $merge([$each($o, function($v, $k){ { ${renameKey}: $v } })]) : $o })`;
}

/** Adds or replaces fields computed per item; each expression sees the item as `$` (and the input as `$$`). */
function compileMap(fields: Record<string, string>, v: string, index: number): string {
  const entries = Object.entries(fields).map(([name, expression]) => {
    assertParses(expression, index, name);
    return `${literal(name)}: $o.(${expression})`;
  });
  return `$onEach(${v}, function($o){ $type($o) = "object" ? $merge([$o, { ${entries.join(", ")} }]) : $o })`;
}

/** Stable sort: numbers, then strings, then everything else (missing, null, objects) in input order. */
function compileSort(by: string, order: "asc" | "desc", v: string): string {
  const cmp = order === "asc" ? ">" : "<";
  const body =
    `($lv := $lookup($l, "v"); $rv := $lookup($r, "v"); $a := ${field("$lv", by)}; $b := ${field("$rv", by)}; ` +
    `$ra := $rank($a); $rb := $rank($b); ` +
    `$ra != $rb ? $ra > $rb : ($ra = 2 ? false : $a ${cmp} $b))`;
  return `$unwrap($sort($wrap(${v}), function($l, $r){ ${body} }))`;
}

/** Array of arrays → concatenated; array of objects → one object; anything else unchanged. */
function compileMerge(v: string): string {
  const allOf = (type: string) => `$count($filter(${v}, function($x){ $type($x) != "${type}" })) = 0`;
  return (
    `($type(${v}) != "array" ? ${v} : ($count(${v}) = 0 ? [] : ` +
    `(${allOf("array")} ? $reduce(${v}, function($acc, $x){ $append($acc, $x) }, []) : ` +
    `(${allOf("object")} ? $merge(${v}) : ` +
    `$error("merge needs an array of arrays or an array of objects; this array mixes other values")))))`
  );
}

/** A field of `obj`, backtick-quoted so any name works (`$lookup` for a name holding a backtick). */
function field(obj: string, name: string): string {
  return name.includes("`") ? `$lookup(${obj}, ${literal(name)})` : `${obj}.\`${name}\``;
}

/** A JSON value as a JSONata literal: JSON is valid JSONata for strings, numbers, booleans, null, arrays, objects. */
function literal(value: unknown): string {
  return JSON.stringify(value) ?? "null";
}

function assertParses(expression: string, index: number, name: string): void {
  try {
    jsonata(expression);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new WorkflowError(
      ErrorCode.Transform,
      `operations[${index}] (map) field "${name}": the JSONata expression ${JSON.stringify(expression)} ` +
        `does not parse: ${reason}. Fix the expression (see https://docs.jsonata.org).`,
      { retryable: false, cause: err, details: { expression } },
    );
  }
}

function configError(index: number, problem: string): WorkflowError {
  return new WorkflowError(
    ErrorCode.ActionConfigInvalid,
    `transform_data operations[${index}] (filter): ${problem}. Fix the operation in the plan.`,
    { retryable: false, details: { field: `operations[${index}]` } },
  );
}
