import { type Masked, tokenOf } from "./mask.js";

/** A file path as people write them: `output/users.json`, `./data/x.csv`, `/tmp/a.txt`, `notes.txt`. */
const PATH_WORD = /^(?:\.{1,2}\/|~\/|\/)?[\w\-.~]+(?:\/[\w\-.~]+)*\/?$/;
const HAS_EXTENSION = /\.[A-Za-z0-9]{1,10}$/;

/**
 * A file path: a word with a "/" or an extension, a quoted string, or a `{{reference}}`.
 * With `dir`, a bare word (`output`) is a path too.
 */
export function parsePath(word: string, masked: Masked, dir = false): string | undefined {
  const w = word.trim();
  const token = tokenOf(masked, w);
  if (token) {
    if (token.kind === "ref") return token.text;
    if (token.kind === "quote" && token.text.trim() !== "" && !/[\n\r]/.test(token.text)) return token.text.trim();
    return undefined;
  }
  if (!PATH_WORD.test(w) || (/^\.+$/.test(w) && !dir)) return undefined;
  if (dir) return w.length > 1 && w.endsWith("/") ? w.slice(0, -1) : w;
  // "output/" names a folder: not something to write to
  return !w.endsWith("/") && (w.includes("/") || HAS_EXTENSION.test(w)) ? w : undefined;
}

/** One path or several: `a.json`, `a.json and b.json`, `a.json, and also to b.json`. */
export function parsePathList(text: string, masked: Masked, dir = false): string[] | undefined {
  const parts = text.trim().split(/\s*,\s*(?:and\s+)?(?:also\s+)?(?:(?:to|in|into)\s+)?|\s+and\s+(?:also\s+)?(?:(?:to|in|into)\s+)?/i);
  const paths = parts.map((p) => parsePath(stripFileWords(p), masked, dir));
  if (paths.length === 0 || paths.some((p) => p === undefined)) return undefined;
  return paths as string[];
}

/** Drop "the file", "a new JSON file called" around a path. */
export function stripFileWords(text: string): string {
  return text
    .trim()
    .replace(/^(?:the|a|an)\s+/i, "")
    .replace(/^(?:new\s+)?(?:json\s+|text\s+|csv\s+|output\s+)?(?:file|location|path)(?:\s+(?:called|named|at))?\s+/i, "")
    .replace(/\s+file$/i, "");
}

/** A short name for ids and keys: lower-case letters, digits and `_`. */
export function slug(text: string, max = 40): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, max)
    .replace(/_+$/, "");
}

/** The file's name without directory and extension: `output/users.json` → `users`. */
export function nameFromPath(path: string): string {
  const base = path.replace(/\/+$/, "").split("/").pop() ?? "";
  return slug(base.replace(/\.[^.]+$/, "")) || slug(base);
}

/** A name from a URL's last path segment: `/users` → `users`, `/users/3` → `users_3`, `/` → "". */
export function nameFromUrl(url: string): string {
  let pathname: string;
  try {
    pathname = new URL(url).pathname;
  } catch {
    pathname = url.replace(/^[a-z]+:\/\/[^/]*/i, "").replace(/[?#].*$/, "");
  }
  const segments = pathname.split("/").filter((s) => s !== "" && !s.includes("{{"));
  const last = segments.at(-1) ?? "";
  const name = slug(last.replace(/\.[a-z0-9]{1,5}$/i, ""));
  if (/^\d+$/.test(name) && segments.length > 1) return `${slug(segments.at(-2) ?? "")}_${name}`;
  return /^\d/.test(name) ? `n${name}` : name;
}
