import { readDataPhrase } from "./data-phrase.js";
import type { ListOp } from "./list-ops.js";
import { PH, restore, tokenOf } from "./mask.js";
import { parsePath, parsePathList, stripFileWords } from "./paths.js";
import type { ClauseContext, ParseOutcome } from "./clause-context.js";
import type { Step } from "./steps.js";

/** File clauses that write: text written in the goal, appends, and saving the data so far. */

type Content = { value: unknown } | undefined;

/** Quoted text or JSON; unquoted text only after an explicit marker ("with the text Hello"). */
function content(text: string, marker: string | undefined, ctx: ClauseContext): Content {
  const token = tokenOf(ctx.masked, text.trim());
  if (token?.kind === "quote") return { value: token.text };
  if (token?.kind === "json") return { value: token.value };
  if (token || marker === undefined || !/^(?:text|words|message|line|string)$/i.test(marker)) return undefined;
  const plain = restore(text, ctx.masked.tokens).trim();
  return plain === "" ? undefined : { value: plain };
}

const CREATE_WITH =
  /^(?:create|make|write|generate|produce)\s+(?:an?\s+|the\s+)?(?:new\s+)?(?:text\s+|json\s+)?(?:file\s+)?(?:called\s+|named\s+|at\s+)?(\S+)\s+(?:with|containing|that\s+(?:contains|says|reads)|saying|holding|reading)\s+(?:the\s+)?(?:(text|content|contents|words|line|string|message|json|data)\s*:?\s*)?(.+)$/i;
const WRITE_TO = new RegExp(
  `^(?:write|put|save|store|echo|print|place|dump|output)\\s+(?:the\\s+)?(?:(?:text|string|message|words|line|json|content)\\s+)?(${PH})\\s+(?:to|into|in|as|inside)\\s+(.+)$`,
  "i",
);
const CREATE_EMPTY =
  /^(?:(?:create|make|touch)\s+(?:an?\s+)?(?:new\s+)?empty\s+(?:text\s+|json\s+)?file\s+(?:called\s+|named\s+|at\s+)?|touch\s+)(.+)$/i;

/** "create output/hello.txt with 'Hello'", "write 'Hi' to a.txt", "write {\"a\":1} to a.json", "touch a.txt". */
export function parseWriteText(ctx: ClauseContext): ParseOutcome {
  const create = CREATE_WITH.exec(ctx.text);
  if (create) {
    const path = parsePath(create[1] ?? "", ctx.masked);
    const body = content(create[3] ?? "", create[2], ctx);
    if (path !== undefined && body) return [{ kind: "write", path, content: body.value, append: false }];
  }
  const write = WRITE_TO.exec(ctx.text);
  if (write) {
    const path = parsePath(stripFileWords(write[2] ?? ""), ctx.masked);
    const body = content(write[1] ?? "", undefined, ctx);
    if (path !== undefined && body) return [{ kind: "write", path, content: body.value, append: false }];
  }
  const empty = CREATE_EMPTY.exec(ctx.text);
  const path = empty ? parsePath(stripFileWords(empty[1] ?? ""), ctx.masked) : undefined;
  return path === undefined ? undefined : [{ kind: "write", path, content: "", append: false }];
}

const APPEND_TO = "(?:to\\s+the\\s+end\\s+of|at\\s+the\\s+end\\s+of|onto|to)";
const APPEND_TEXT = new RegExp(
  `^(?:append|add)\\s+(?:the\\s+)?(?:(text|line|string|json|message|words)\\s+)?(${PH})\\s+${APPEND_TO}\\s+(.+)$`,
  "i",
);
const APPEND_DATA = new RegExp(`^(append|add)\\s+(.*?)\\s*\\b${APPEND_TO}\\s+(.+)$`, "i");

/** "append 'x' to log.txt", "append the line 'x' to log.txt" (adds a newline), "append them to all.json". */
export function parseAppend(ctx: ClauseContext): ParseOutcome {
  const text = APPEND_TEXT.exec(ctx.text);
  if (text) {
    const path = parsePath(stripFileWords(text[3] ?? ""), ctx.masked);
    const body = content(text[2] ?? "", undefined, ctx);
    if (path === undefined || !body) return undefined;
    const value = text[1]?.toLowerCase() === "line" && typeof body.value === "string" ? `${body.value}\n` : body.value;
    return [{ kind: "write", path, content: value, append: true }];
  }
  const data = APPEND_DATA.exec(ctx.text);
  if (!data) return undefined;
  const object = data[2] ?? "";
  const read = readDataPhrase(object, ctx.scope, ctx.masked);
  if (read && "reason" in read) return read;
  if ((object === "" && data[1]?.toLowerCase() !== "append") || !read) return undefined;
  const paths = parsePathList(data[3] ?? "", ctx.masked);
  return (
    paths &&
    withOps(
      read.ops,
      paths.map((path) => ({ kind: "save", path, append: true })),
    )
  );
}

/** The steps a data phrase asks for ("the names" → a transform), then the writes. */
function withOps(ops: ListOp[], writes: Step[]): Step[] {
  return ops.length > 0 ? [{ kind: "transform", ops }, ...writes] : writes;
}

const SAVE = /^(?:save|write|store|put|export|dump|persist|output|copy|place)(?:\s+out)?\b\s*(.*)$/i;
const PREPOSITION = /(?:^|\s+)(?:to|into|in|as|at|under|on|inside)\s+/gi;
const AS_JSON =
  /(?:^|\s+)(?:(?:as|in)\s+(?:pretty(?:-printed)?\s+)?json(?:\s+format)?|as\s+(?:a\s+list|an\s+array)|out|pretty(?:-printed)?)$/i;

/** "save to out.json", "write it to a.json", "store the result in a.json and b.json", "export them as out.json". */
export function parseSave(ctx: ClauseContext): ParseOutcome {
  const m = SAVE.exec(ctx.text);
  if (!m) return undefined;
  const rest = m[1] ?? "";
  let reason: { reason: string } | undefined;
  for (const p of rest.matchAll(PREPOSITION)) {
    const object = readDataPhrase(rest.slice(0, p.index).replace(AS_JSON, "").trim(), ctx.scope, ctx.masked);
    const target = rest
      .slice(p.index + p[0].length)
      .replace(AS_JSON, "")
      .trim();
    if (object && "reason" in object) reason ??= object;
    if (!object || "reason" in object) continue;
    const paths = parsePathList(target, ctx.masked);
    if (paths)
      return withOps(
        object.ops,
        paths.map((path) => ({ kind: "save", path, append: false })),
      );
  }
  if (reason) return reason;
  const whole = readDataPhrase(rest.replace(AS_JSON, ""), ctx.scope);
  if (whole && !("reason" in whole)) return { reason: "say where to save it, e.g. save it to output/result.json" };
  return undefined;
}
