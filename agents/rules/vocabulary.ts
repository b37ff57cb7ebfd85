/**
 * The words the rule-based planner knows: which words start a step, the filler a clause may open
 * with, gerunds ("after fetching ...") and participles ("sorted by ..."), and the words that mean an
 * operation, not a plain value. The nouns of data phrases are in nouns.ts.
 */

/** Words that start a step; a weak separator ("," or "and") splits the goal only before one of these. */
const STEP_WORDS = new Set([
  "fetch",
  "get",
  "download",
  "retrieve",
  "call",
  "load",
  "pull",
  "request",
  "grab",
  "hit",
  "query",
  "read",
  "open",
  "import",
  "parse",
  "post",
  "put",
  "patch",
  "delete",
  "send",
  "submit",
  "upload",
  "push",
  "make",
  "save",
  "write",
  "store",
  "export",
  "dump",
  "persist",
  "copy",
  "list",
  "show",
  "remove",
  "rm",
  "erase",
  "unlink",
  "create",
  "touch",
  "append",
  "add",
  "check",
  "verify",
  "see",
  "does",
  "wait",
  "sleep",
  "pause",
  "delay",
  "run",
  "execute",
  "exec",
  "filter",
  "keep",
  "only",
  "where",
  "select",
  "pick",
  "sort",
  "order",
  "rank",
  "arrange",
  "take",
  "limit",
  "return",
  "rename",
  "count",
  "merge",
  "combine",
  "join",
  "concatenate",
  "exclude",
  "drop",
  "discard",
  "reject",
  "extract",
  "retain",
  "after",
  "sorted",
  "ordered",
  "ranked",
  "filtered",
  "limited",
  "how",
  "tell",
  "find",
  "whose",
  "having",
]);

/** Participles a clause may start with ("..., sorted by name"): read as the verb. */
const PARTICIPLES: Readonly<Record<string, string>> = {
  sorted: "sort",
  ordered: "order",
  ranked: "rank",
  arranged: "arrange",
  filtered: "filter",
  limited: "limit",
};

/** "-ing" forms a clause may start with ("after fetching X", "before saving"). */
const GERUNDS: Readonly<Record<string, string>> = {
  fetching: "fetch",
  getting: "get",
  downloading: "download",
  retrieving: "retrieve",
  calling: "call",
  loading: "load",
  pulling: "pull",
  requesting: "request",
  grabbing: "grab",
  querying: "query",
  reading: "read",
  opening: "open",
  importing: "import",
  parsing: "parse",
  posting: "post",
  putting: "put",
  patching: "patch",
  deleting: "delete",
  sending: "send",
  submitting: "submit",
  uploading: "upload",
  making: "make",
  saving: "save",
  writing: "write",
  storing: "store",
  exporting: "export",
  dumping: "dump",
  persisting: "persist",
  listing: "list",
  removing: "remove",
  creating: "create",
  appending: "append",
  adding: "add",
  checking: "check",
  verifying: "verify",
  waiting: "wait",
  sleeping: "sleep",
  pausing: "pause",
  running: "run",
  executing: "execute",
  filtering: "filter",
  keeping: "keep",
  selecting: "select",
  picking: "pick",
  sorting: "sort",
  ordering: "order",
  taking: "take",
  limiting: "limit",
  renaming: "rename",
  counting: "count",
  merging: "merge",
  combining: "combine",
  joining: "join",
  excluding: "exclude",
  dropping: "drop",
};

/** Filler a clause may open with; it carries no meaning for the plan. */
const LEADING_FILLER = new RegExp(
  "^(?:(?:and|but|then|also|finally|lastly|next|afterwards|after that|after this|first of all|firstly|" +
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
  "where",
  "whose",
  "which",
  "by",
  "with",
  "without",
  "except",
  "only",
  "first",
  "top",
  "last",
  "grouped",
  "group",
  "per",
  "each",
  "every",
  "unique",
  "distinct",
  "sum",
  "average",
  "max",
  "min",
  "maximum",
  "minimum",
  "more",
  "less",
  "than",
  "greater",
  "fewer",
  "between",
  "not",
  "no",
  "none",
  "to",
  "into",
  "from",
  "then",
  "if",
  "unless",
  "when",
  "before",
  "random",
  "some",
  "or",
  "is",
  "are",
  "was",
  "were",
  "equals",
  "equal",
  "contains",
  "includes",
  "has",
  "have",
  "exists",
]);

/** Remove opening and closing filler only ("then", "please", "after that,"): the clause as said, for messages. */
export function stripFiller(text: string): string {
  let out = text.trim();
  for (let i = 0; i < 4; i++) {
    const before = out;
    out = out.replace(LEADING_FILLER, "").replace(TRAILING_FILLER, "").trim();
    if (out === before) break;
  }
  return out;
}

/** Remove opening filler ("then", "please", "after that,") and turn a leading gerund into its verb. */
export function normaliseLead(text: string): string {
  let out = text.trim();
  for (let i = 0; i < 4; i++) {
    const before = out;
    out = out.replace(LEADING_FILLER, "").replace(TRAILING_FILLER, "").trim();
    out = out.replace(/^(?:after|once)\s+(\w+ing)\b/i, (whole, g: string) => GERUNDS[g.toLowerCase()] ?? whole);
    out = out.replace(/^(\w+ing)\b/i, (whole, g: string) => GERUNDS[g.toLowerCase()] ?? whole);
    out = out.replace(
      /^(\w+ed)\b(?=\s+(?:by|to|on|down|so|with|in|from|desc|asc|alphabetically|newest|oldest|latest|most))/i,
      (whole, p: string) => PARTICIPLES[p.toLowerCase()] ?? whole,
    );
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
