/**
 * The nouns and adjectives of data phrases ("the filtered users", "the names", "the count"): which
 * only name the data, which claim something was done to it, which ask for a count, and which can
 * never be a field.
 */

/** Words that name "the data so far" and ask for nothing. */
export const GENERIC_NOUNS = new Set([
  "it", "them", "this", "that", "these", "those", "everything", "all", "both", "result", "results", "data",
  "response", "responses", "output", "outputs", "rows", "row", "records", "record", "items", "item", "entries",
  "entry", "list", "body", "content", "contents", "json", "payload", "object", "objects", "array", "value",
  "values", "resulting", "final", "whole", "full", "raw", "fetched", "downloaded", "retrieved", "returned",
  "loaded", "updated", "api", "lot", "ones", "one", "answer", "reply", "stuff", "information", "info",
  "current", "complete", "entire", "endpoint", "url", "page", "document", "documents", "text", "thing", "things",
  "collection", "set", "dataset", "file", "files",
]);

/** Adjectives that claim an operation already happened: "the filtered users" needs a filter before it. */
export const CLAIMS: Readonly<Record<string, { ops: readonly string[]; verb: string }>> = {
  filtered: { ops: ["filter"], verb: "filters" },
  matching: { ops: ["filter"], verb: "filters" },
  sorted: { ops: ["sort"], verb: "sorts" },
  ordered: { ops: ["sort"], verb: "sorts" },
  ranked: { ops: ["sort"], verb: "sorts" },
  merged: { ops: ["merge"], verb: "merges" },
  combined: { ops: ["merge"], verb: "merges" },
  renamed: { ops: ["rename"], verb: "renames" },
  counted: { ops: ["count"], verb: "counts" },
  limited: { ops: ["limit", "last"], verb: "limits" },
  trimmed: { ops: ["limit", "last"], verb: "limits" },
  truncated: { ops: ["limit", "last"], verb: "limits" },
  selected: { ops: ["select", "pick", "filter"], verb: "selects from" },
  picked: { ops: ["select", "pick"], verb: "picks from" },
  transformed: { ops: ["filter", "sort", "limit", "last", "rename", "pick", "map", "select", "count", "merge"], verb: "transforms" },
  processed: { ops: ["filter", "sort", "limit", "last", "rename", "pick", "map", "select", "count", "merge"], verb: "processes" },
};

/** Nouns that mean "how many": "save the count" needs a count before it; "the number of posts" is one. */
export const COUNT_NOUNS = new Set(["count", "number", "total", "tally", "amount"]);

/**
 * Words that select without naming a field ("the latest", "the best posts") or that ask for an
 * operation the planner does not have ("the unique cities", "the average"): never read as a field.
 */
export const NOT_FIELDS = new Set([
  "latest", "newest", "oldest", "recent", "earliest", "best", "worst", "good", "bad", "top", "bottom",
  "first", "last", "next", "previous", "important", "relevant", "popular", "biggest", "smallest", "largest",
  "highest", "lowest", "most", "least", "main", "other", "rest", "remaining", "new", "same", "different", "unique", "distinct",
  "duplicate", "duplicates", "valid", "invalid", "random", "some", "any", "many", "few", "several", "average",
  "mean", "median", "sum", "max", "min", "maximum", "minimum", "summary", "stats", "statistics", "report",
  "interesting", "useful", "big", "small", "large", "old", "recent", "active", "inactive", "empty", "missing",
  "where", "whose", "which", "by", "with", "without", "except", "only", "to", "into", "from", "then", "if",
  "when", "before", "after", "or", "not", "no", "is", "are", "was", "were", "than", "more", "less", "per",
  "group", "grouped", "each", "every", "in", "on", "at", "for", "as", "me", "us", "you", "and", "key", "keys",
  "field", "fields", "column", "columns", "property", "properties", "attribute", "attributes",
]);

/** Determiners and possessives a noun phrase may open with. */
export const DETERMINERS = new Set(["the", "their", "its", "these", "those", "this", "that", "each", "every", "all", "our", "my", "your", "a", "an"]);

/** The singular of an English plural, for matching "users" with /user and reading "names" as `name`. */
export function singular(word: string): string {
  const w = word.toLowerCase();
  if (w.length < 3 || (w.length === 3 && /(?:[aeiouy]|s)s$/.test(w))) return w;
  if (w.endsWith("ies")) return `${w.slice(0, -3)}y`;
  if (/(?:s|x|z|ch|sh)es$/.test(w)) return w.slice(0, -2);
  if (w.endsWith("s") && !/(?:ss|us|is)$/.test(w)) return w.slice(0, -1);
  return w;
}
