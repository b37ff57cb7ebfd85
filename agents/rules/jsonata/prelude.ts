/**
 * JSONata helpers every planned transform starts with. JSONata collapses a one-item sequence into
 * the item and flattens arrays inside `[...]`, so list operations run on wrapped items (`{"v": item}`)
 * and `$unwrap` rebuilds a real array, even of one item that is itself an array.
 *
 * - `$shape(x)` says what a value is, for error messages ("an object with keys state, version").
 * - `$isWrapper(x)`: an object whose `items`, `data` or `results` is a list (`{items: [...], page: 2}`).
 * - `$items(x, what)`: the list in `x` (itself, or its wrapped list); anything else is an error naming
 *   the operation, never an empty result.
 * - `$eachItem(x, f, what)`: `f` on every item of the list, or on `x` itself when it is a plain object.
 * - `$key(list, candidates, what)`: the first candidate key that some item has ("name", then "names").
 */
const HELPERS: readonly string[] = [
  `$shape := function($x){ $exists($x) = false ? "nothing" : ($type($x) = "object" ` +
    `? ($count($keys($x)) = 0 ? "an empty object" : "an object with keys " & $substring($join($keys($x), ", "), 0, 200)) ` +
    `: ($type($x) = "null" ? "null" : "a " & $type($x) & " (" & $substring($string($x), 0, 60) & ")")) }`,
  `$isWrapper := function($x){ $type($x) = "object" and ($type($lookup($x, "items")) = "array" ` +
    `or $type($lookup($x, "data")) = "array" or $type($lookup($x, "results")) = "array") }`,
  `$items := function($x, $what){ $type($x) = "array" ? $x : ($isWrapper($x) ` +
    `? ($type($lookup($x, "items")) = "array" ? $lookup($x, "items") ` +
    `: ($type($lookup($x, "data")) = "array" ? $lookup($x, "data") : $lookup($x, "results"))) ` +
    `: $error("cannot " & $what & ": the data is " & $shape($x) & ", not a list (nor an object whose items, data or results is a list)")) }`,
  `$wrap := function($xs){ [$map($xs, function($v){ {"v": $v} })] }`,
  `$unwrap := function($ws){ $count($ws) = 1 ` +
    `? ($v := $lookup($ws[0], "v"); $type($v) = "array" ? [[$v]] : [$v]) ` +
    `: [$map($ws, function($w){ $lookup($w, "v") })] }`,
  `$eachItem := function($x, $f, $what){ $type($x) = "object" and $not($isWrapper($x)) ? $f($x) ` +
    `: $unwrap([$map($wrap($items($x, $what)), function($w){ {"v": $f($lookup($w, "v"))} })]) }`,
  `$has := function($xs, $x){ $count($filter($xs, function($e){ $e = $x })) > 0 }`,
  `$rank := function($v){ $type($v) = "number" ? 0 : ($type($v) = "string" ? 1 : 2) }`,
  `$key := function($l, $cands, $what){ ($found := $filter($cands, function($c){ ` +
    `$count($filter($l, function($o){ $type($o) = "object" and $exists($lookup($o, $c)) })) > 0 }); ` +
    `$count($l) = 0 ? $cands[0] : ($exists($found) ? $found[0] ` +
    `: $error("cannot " & $what & ": no item has a field " & $join($cands, " or ")))) }`,
];

const NAME = /^\$(\w+) :=/;

/** The helper definitions `body` uses (directly or through another helper), one statement each, in order. */
export function prelude(body: string): readonly string[] {
  const used = new Set<string>();
  let text = body;
  for (let changed = true; changed; ) {
    changed = false;
    for (const helper of HELPERS) {
      const name = NAME.exec(helper)?.[1] ?? "";
      if (!used.has(name) && text.includes(`$${name}(`)) {
        used.add(name);
        text += helper;
        changed = true;
      }
    }
  }
  return HELPERS.filter((h) => used.has(NAME.exec(h)?.[1] ?? ""));
}
