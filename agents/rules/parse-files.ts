import { readDataPhrase } from "./data-phrase.js";
import { PH, tokenOf } from "./mask.js";
import { parsePath, parsePathList, stripFileWords } from "./paths.js";
import type { ClauseContext, ParseOutcome } from "./clause-context.js";

/** File clauses that read the workspace or delete from it: read, list, exists, delete. */

const READ = /^(?:read|load|open|import|parse|ingest)(?:\s+in)?\s+(?:the\s+)?(?:(?:contents?|text|json|data)\s+(?:of|from|in)\s+)?(.+)$/i;

/** "read output/users.json", "load the file data.json", "open a.json and b.json". */
export function parseRead(ctx: ClauseContext): ParseOutcome {
  const m = READ.exec(ctx.text);
  if (!m) return undefined;
  const paths = parsePathList(m[1] ?? "", ctx.masked);
  return paths?.map((path) => ({ kind: "read", path }));
}

const FOLDER = "(?:folder|directory|dir)";
const WORKSPACE = new RegExp(
  `^(?:the\\s+)?(?:workspace|current\\s+${FOLDER}|root(?:\\s+${FOLDER})?|top-?level(?:\\s+${FOLDER})?)$|^here$`,
  "i",
);

function parseDir(text: string, ctx: ClauseContext): string | undefined {
  const t = text.trim();
  if (WORKSPACE.test(t)) return ".";
  const inner = t
    .replace(/^(?:the\s+)?/i, "")
    .replace(new RegExp(`^${FOLDER}\\s+(?:called\\s+|named\\s+)?`, "i"), "")
    .replace(new RegExp(`\\s+${FOLDER}$`, "i"), "");
  if (/^(?:it|them|that|this)$/i.test(inner)) return undefined;
  return parsePath(inner, ctx.masked, true);
}

const LIST_FILES =
  /^(?:list|show|enumerate|display|get|find|see)\s+(?:all\s+(?:of\s+)?)?(?:the\s+)?(?:files?|entries|contents|content|items|documents|file\s*names)(?:\s+(?:that\s+are\s+)?(?:in|inside|of|under|within|from|at)\s+(.+))?$/i;
const LIST_DIR = /^(?:list|ls)\s+(?:the\s+)?(?:contents\s+of\s+)?(?:the\s+)?(.+)$/i;

/** "list the files in output", "list output", "show the contents of the data folder", "list files". */
export function parseList(ctx: ClauseContext): ParseOutcome {
  const files = LIST_FILES.exec(ctx.text);
  if (files) {
    const path = files[1] === undefined ? "." : parseDir(files[1], ctx);
    return path === undefined ? undefined : [{ kind: "list", path }];
  }
  const dir = LIST_DIR.exec(ctx.text);
  // after data, "list the names" asks for a field of it, not a folder called "names"
  const field = dir && ctx.scope.hasData ? readDataPhrase(dir[1] ?? "", ctx.scope) : undefined;
  if (field && "ops" in field && field.ops.length > 0) return undefined;
  const path = dir ? parseDir(dir[1] ?? "", ctx) : undefined;
  return path === undefined ? undefined : [{ kind: "list", path }];
}

/** Each form, and whether a bare word ("output") may be the path. */
const EXISTS_FORMS: readonly [RegExp, boolean][] = [
  [
    /^(?:check|verify|test|see|determine|find\s+out)\s+(?:whether|if|that)\s+(?:there\s+is\s+)?(?:an?\s+|the\s+)?(.+?)\s+(?:exists|is\s+there|is\s+present)(?:\s+or\s+not)?\??$/i,
    true,
  ],
  [
    /^(?:check|verify|test|see)\s+(?:whether|if)\s+there\s+is\s+(?:an?\s+)?(?:file|folder|directory)\s+(?:at|called|named)\s+(.+?)\??$/i,
    true,
  ],
  [/^(?:check|look)\s+for\s+(?:the\s+)?(.+?)$/i, false],
  [/^check\s+(?:the\s+)?existence\s+of\s+(?:the\s+)?(.+?)$/i, true],
  [/^does\s+(?:the\s+)?(.+?)\s+exist\??$/i, true],
];

/** "check whether output/x.json exists", "does notes.txt exist?", "check for the file a.txt". */
export function parseExists(ctx: ClauseContext): ParseOutcome {
  for (const [re, bare] of EXISTS_FORMS) {
    const m = re.exec(ctx.text);
    if (!m) continue;
    const target = stripFileWords((m[1] ?? "").replace(/^(?:folder|directory)\s+/i, ""));
    const path = parsePath(target, ctx.masked, bare);
    if (path !== undefined && !/^(?:it|them|this|that)$/i.test(path)) return [{ kind: "exists", path }];
  }
  return undefined;
}

const DELETE =
  /^(?:delete|remove|rm|erase|unlink|trash)\s+(?:the\s+)?(?:(?:file|folder|directory)s?\s+)?(?:called\s+|named\s+|at\s+)?(.+)$/i;

/** "delete output/tmp.txt", "remove the file a.txt and b.txt". A URL is an HTTP DELETE, not this. */
export function parseDelete(ctx: ClauseContext): ParseOutcome {
  const m = DELETE.exec(ctx.text);
  if (!m) return undefined;
  if ([...(m[1] ?? "").matchAll(new RegExp(PH, "g"))].some((p) => tokenOf(ctx.masked, p[0])?.kind === "url")) return undefined;
  const paths = parsePathList(m[1] ?? "", ctx.masked);
  return paths?.map((path) => ({ kind: "delete", path }));
}
