import { describeOp, type Filter, type ListOp } from "../list-ops.js";

/**
 * One operation as a JSONata expression of the variable `v` (the value so far), using the helpers of
 * prelude.ts. The semantics follow the engine's own `operations` (type mismatches in a comparison are
 * false, sorts are stable with numbers before strings before the rest), with two differences that
 * keep a plan honest: a wrapped list (`{items: [...]}`) is unwrapped first, and a list operation on
 * anything that is not a list fails with an error naming the operation.
 */
export function compileOp(op: ListOp, v: string): string {
  const what = literal(describeOp(op));
  switch (op.op) {
    case "filter":
      return `$unwrap([$filter($wrap($items(${v}, ${what})), function($w){ ($it := $lookup($w, "v"); ${predicate(op)}) })])`;
    case "sort":
      return sort(op.by, op.order, `$items(${v}, ${what})`);
    case "limit":
      return `$unwrap([$filter($wrap($items(${v}, ${what})), function($w, $i){ $i < ${op.count} })])`;
    case "last":
      return `($l := $wrap($items(${v}, ${what})); $n := $count($l); $unwrap([$filter($l, function($w, $i){ $i >= $n - ${op.count} })]))`;
    case "count":
      return `$count($items(${v}, ${what}))`;
    case "rename":
      return eachObject(v, what, rename(op.fields));
    case "pick":
      return eachObject(v, what, `{ ${op.fields.map((f) => `${literal(f)}: $lookup($o, ${literal(f)})`).join(", ")} }`);
    case "map":
      return eachObject(
        v,
        what,
        `$merge([$o, { ${Object.entries(op.fields)
          .map(([k, e]) => `${literal(k)}: $o.(${e})`)
          .join(", ")} }])`,
      );
    case "select":
      return select(op.fields, v, what);
  }
}

/** `body` (an expression of `$o`) on every object item; other items stay as they are. */
function eachObject(v: string, what: string, body: string): string {
  return `$eachItem(${v}, function($o){ $type($o) = "object" ? ${body} : $o }, ${what})`;
}

/** Keys renamed in place (key order kept); keys not listed stay. */
function rename(fields: Record<string, string>): string {
  const key = `($k in ${literal(Object.keys(fields))} ? $lookup(${literal(fields)}, $k) : $k)`;
  return `$merge([$each($o, function($x, $k){ { ${key}: $x } })])`;
}

/**
 * Fields named in words: each entry's key is the first candidate some item has (an error when none
 * has any); one entry gives the values (null where an item lacks it), several give objects.
 */
function select(fields: readonly string[][], v: string, what: string): string {
  const keys = fields.map((cands, i) => `$k${i} := $key($l, ${literal(cands)}, ${what})`);
  const body =
    fields.length === 1
      ? `$type($o) = "object" and $exists($lookup($o, $k0)) ? $lookup($o, $k0) : null`
      : `$type($o) = "object" ? $merge([${fields.map((_, i) => `{ $k${i}: $lookup($o, $k${i}) }`).join(", ")}]) : $o`;
  return (
    `($l := $type(${v}) = "object" and $not($isWrapper(${v})) ? [${v}] : $items(${v}, ${what}); ` +
    `${keys.join("; ")}; $eachItem(${v}, function($o){ ${body} }, ${what}))`
  );
}

/** Stable sort: numbers, then strings, then everything else (missing, null, objects) in input order. */
function sort(by: string, order: "asc" | "desc", list: string): string {
  const cmp = order === "asc" ? ">" : "<";
  const get = (w: string) => `($x := $lookup(${w}, "v"); $type($x) = "object" ? $lookup($x, ${literal(by)}))`;
  const body =
    `($a := ${get("$l")}; $b := ${get("$r")}; $ra := $rank($a); $rb := $rank($b); ` +
    `$ra != $rb ? $ra > $rb : ($ra = 2 ? false : $a ${cmp} $b))`;
  return `$unwrap($sort($wrap(${list}), function($l, $r){ ${body} }))`;
}

/** The filter predicate on `$it`; `$f` holds the field's value. Type mismatches are false, never errors. */
function predicate(op: Filter): string {
  const f = `$f := $type($it) = "object" ? $lookup($it, ${literal(op.field)})`;
  const value = literal(op.value);
  switch (op.operator) {
    case "exists":
      return `(${f}; ${op.value === false ? "$not($exists($f))" : "$exists($f)"})`;
    case "==":
      return `(${f}; $f = ${value})`;
    case "!=":
      return `(${f}; $not($f = ${value}))`;
    case "contains":
      return `(${f}; ${contains(op.value)})`;
    case "not_contains":
      return `(${f}; $not(${contains(op.value)}))`;
    case "starts_with":
      return `(${f}; $type($f) = "string" and $substring($f, 0, $length(${value})) = ${value})`;
    case "ends_with":
      return `(${f}; $type($f) = "string" and $length($f) >= $length(${value}) and $substring($f, $length($f) - $length(${value})) = ${value})`;
    case "in":
      return `(${f}; $has(${value}, $f))`;
    default:
      return `(${f}; $type($f) = "${typeof op.value}" ? $f ${op.operator} ${value} : false)`;
  }
}

function contains(value: unknown): string {
  const v = literal(value);
  return typeof value === "string"
    ? `($type($f) = "string" ? $contains($f, ${v}) : ($type($f) = "array" ? $has($f, ${v}) : false))`
    : `($type($f) = "array" ? $has($f, ${v}) : false)`;
}

/** A JSON value as a JSONata literal (JSON is valid JSONata). */
function literal(value: unknown): string {
  return JSON.stringify(value) ?? "null";
}
