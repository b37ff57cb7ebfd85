/**
 * The words the rule-based planner knows: which words start a step, the filler a clause may open
 * with, gerunds ("after fetching ...") and the words that mean an operation, not a plain noun.
 */

/** Words that start a step; a weak separator ("," or "and") splits the goal only before one of these. */
const STEP_WORDS = new Set([
  "fetch", "get", "download", "retrieve", "call", "load", "pull", "request", "grab", "hit", "query",
  "read", "open", "import", "parse", "post", "put", "patch", "delete", "send", "submit", "upload",
  "push", "make", "save", "write", "store", "export", "dump", "persist", "copy", "list", "show",
  "remove", "rm", "erase", "unlink", "create", "touch", "append", "add", "check", "verify", "see",
  "does", "wait", "sleep", "pause", "delay", "run", "execute", "exec", "filter", "keep", "only",
  "where", "select", "pick", "sort", "order", "rank", "arrange", "take", "limit", "return", "rename",
  "count", "merge", "combine", "join", "concatenate", "exclude", "drop", "discard", "reject",
  "extract", "retain", "after",
]);

/** "-ing" forms a clause may start with ("after fetching X", "before saving"). */
const GERUNDS: Readonly<Record<string, string>> = {
  fetching: "fetch", getting: "get", downloading: "download", retrieving: "retrieve", calling: "call",
  loading: "load", pulling: "pull", requesting: "request", grabbing: "grab", querying: "query",
  reading: "read", opening: "open", importing: "import", parsing: "parse", posting: "post",
  putting: "put", patching: "patch", deleting: "delete", sending: "send", submitting: "submit",
  uploading: "upload", making: "make", saving: "save", writing: "write", storing: "store",
  exporting: "export", dumping: "dump", persisting: "persist", listing: "list", removing: "remove",
  creating: "create", appending: "append", adding: "add", checking: "check", verifying: "verify",
  waiting: "wait", sleeping: "sleep", pausing: "pause", running: "run", executing: "execute",
  filtering: "filter", keeping: "keep", selecting: "select", picking: "pick", sorting: "sort",
  ordering: "order", taking: "take", limiting: "limit", renaming: "rename", counting: "count",
  merging: "merge", combining: "combine", joining: "join", excluding: "exclude", dropping: "drop",
};

/** Filler a clause may open with; it carries no meaning for the plan. */
const LEADING_FILLER = new RegExp(
  "^(?:(?:and|then|also|finally|lastly|next|afterwards|after that|after this|first of all|firstly|" +
    "secondly|thirdly|now|please|just|simply|go ahead and|can you|could you|would you|" +
    "will you|i want(?: you)? to|i'd like(?: you)? to|i would like(?: you)? to|i need(?: you)? to|" +
    "we need to|let's|you should|once (?:that|this|it) is (?:done|finished)|" +
    "once (?:that's|it's|done|finished)|when (?:that's|it's|that is|it is) (?:done|finished)|" +
    "when done|in the end|at the end)(?:\\s*[,:]\\s*|\\s+))+",
  "i",
);

const TRAILING_FILLER = /(?:\s*,?\s+(?:please|thanks|thank you|for me))+\s*[.!]?$/i;

/** Words that ask for an operation or a selection: a noun phrase holding one is never a plain description. */
export const STRUCTURAL_WORDS = new Set([
  ...STEP_WORDS,
  "where", "whose", "which", "by", "with", "without", "except", "only", "first", "top", "last",
  "grouped", "group", "per", "each", "every", "unique", "distinct", "sum", "average", "max", "min",
  "maximum", "minimum", "more", "less", "than", "greater", "fewer", "between", "not", "no", "none",
  "to", "into", "from", "then", "if", "unless", "when", "before", "random", "some", "or", "is", "are",
  "was", "were", "equals", "equal", "contains", "includes", "has", "have", "exists",
]);

/** Generic nouns and adjectives that may name "the data so far" ("save the filtered results"). */
export const GENERIC_WORDS = new Set([
  "it", "them", "this", "that", "these", "those", "everything", "all", "both", "the", "a", "an", "of",
  "its", "their", "our", "my", "result", "results", "data", "response", "responses", "output",
  "outputs", "rows", "row", "records", "record", "items", "item", "entries", "entry", "list",
  "count", "total", "number", "body", "content", "contents", "json", "payload", "file", "files",
  "object", "objects", "array", "value", "values", "filtered", "sorted", "renamed", "merged",
  "combined", "fetched", "downloaded", "resulting", "final", "whole", "full", "raw", "selected",
  "counted", "limited", "transformed", "retrieved", "returned", "loaded", "trimmed", "updated",
  "api", "two", "lot", "ones", "one", "answer", "reply", "stuff", "information", "info", "current",
  "complete", "entire", "whole", "endpoint", "url", "page", "document", "documents", "text", "me", "us",
]);

/** Remove opening filler ("then", "please", "after that,") and turn a leading gerund into its verb. */
export function normaliseLead(text: string): string {
  let out = text.trim();
  for (let i = 0; i < 4; i++) {
    const before = out;
    out = out.replace(LEADING_FILLER, "").replace(TRAILING_FILLER, "").trim();
    out = out.replace(/^(?:after|once)\s+(\w+ing)\b/i, (whole, g: string) => GERUNDS[g.toLowerCase()] ?? whole);
    out = out.replace(/^(\w+ing)\b/i, (whole, g: string) => GERUNDS[g.toLowerCase()] ?? whole);
    out = out.replace(/^first\s*,?\s+([a-z]+)/i, (whole, w: string) => (STEP_WORDS.has(w.toLowerCase()) ? w : whole));
    out = out.replace(/^only\s+(keep|take|select|pick|return|get|save|retain)\b/i, "$1 only");
    if (out === before) break;
  }
  return out;
}

/** Whether a piece of the goal starts a new step (after filler is removed). */
export function isStepStart(text: string): boolean {
  const first = /^[A-Za-z']+/.exec(normaliseLead(text))?.[0]?.toLowerCase();
  return first !== undefined && STEP_WORDS.has(first);
}
