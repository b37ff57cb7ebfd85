import { isStepStart } from "./vocabulary.js";

/** How a clause is joined to the one before it: "then" orders it, "and" (or a comma) does not. */
export type Joiner = "start" | "then" | "and";

/** One clause of the goal, still masked. */
export interface RawClause {
  readonly text: string;
  readonly joiner: Joiner;
}

interface Separator {
  readonly pattern: string;
  readonly joiner: "then" | "and";
  /** Weak separators split only when the next piece starts a step. */
  readonly weak: boolean;
}

const SEPARATORS: readonly Separator[] = [
  { pattern: "\\s*;\\s*", joiner: "and", weak: false },
  { pattern: "\\.\\s+", joiner: "and", weak: false },
  { pattern: "\\?\\s+", joiner: "then", weak: false },
  { pattern: "\\s*,\\s*(?:and\\s+)?then\\b\\s*,?\\s*", joiner: "then", weak: false },
  { pattern: "\\s+(?:and\\s+)?then\\b\\s*,?\\s*", joiner: "then", weak: false },
  { pattern: "\\s*,\\s*and\\s+", joiner: "and", weak: true },
  { pattern: "\\s*,\\s*", joiner: "and", weak: true },
  { pattern: "\\s+and\\s+", joiner: "and", weak: true },
  { pattern: "\\s+&\\s+", joiner: "and", weak: true },
  { pattern: "\\s+before\\s+", joiner: "then", weak: true },
  { pattern: "\\s*,?\\s+but\\s+", joiner: "and", weak: true },
];

const SPLITTER = new RegExp(SEPARATORS.map((s) => `(${s.pattern})`).join("|"), "gi");

interface Piece {
  text: string;
  sep: string;
  separator: Separator | undefined;
}

function pieces(text: string): Piece[] {
  const out: Piece[] = [];
  let last = 0;
  let pending: { sep: string; separator: Separator | undefined } = { sep: "", separator: undefined };
  for (const m of text.matchAll(SPLITTER)) {
    out.push({ text: text.slice(last, m.index), ...pending });
    const which = m.slice(1).findIndex((g) => g !== undefined);
    pending = { sep: m[0], separator: SEPARATORS[which] };
    last = m.index + m[0].length;
  }
  out.push({ text: text.slice(last), ...pending });
  return out;
}

/**
 * Split a masked goal into clauses: always at ";", a sentence end and "then"; at "," and "and"
 * only when what follows starts a step ("..., email and city" stays one clause).
 */
export function splitClauses(masked: string): RawClause[] {
  const text = masked.trim().replace(/[.!?]+$/, "");
  const clauses: { text: string; joiner: Joiner }[] = [];
  for (const piece of pieces(text)) {
    const previous = clauses.at(-1);
    const weakJoin = piece.separator?.weak === true && !isStepStart(piece.text);
    if (previous && weakJoin) previous.text += piece.sep + piece.text;
    else clauses.push({ text: piece.text, joiner: previous ? (piece.separator?.joiner ?? "and") : "start" });
  }
  return clauses.map((c) => ({ text: c.text.trim(), joiner: c.joiner })).filter((c) => c.text.length > 0);
}

/** A place where a clause that does not parse whole may be cut in two. */
export interface Cut {
  readonly head: string;
  readonly tail: string;
  /** Cut before a modifier said after the data, rather than at "," or "and". */
  readonly modifier: boolean;
}

const WEAK_CUT = /\s*,\s*and\s+|\s*,\s*|\s+and\s+|\s+&\s+/g;
/** Before a modifier said after the data: "fetch URL sorted by name", "get URL where ...", "... with more than 10 likes". */
const MODIFIER_CUT =
  /\s*,?\s+(?=(?:sorted|ordered|ranked|filtered|limited)\s|(?:where|whose|having|with)\s|(?:that|which|who)\s+(?:have|has|are|is)\s|(?:but\s+)?only\s+(?:those|the\s+ones|ones)\s)/gi;

/** Where a clause could be cut so its head is one step and its tail another, longest head first. */
export function clauseCuts(text: string): Cut[] {
  const at = (re: RegExp, modifier: boolean): Cut[] =>
    [...text.matchAll(re)].map((m) => ({ head: text.slice(0, m.index), tail: text.slice(m.index + m[0].length), modifier }));
  const seen = new Set<string>();
  return [...at(MODIFIER_CUT, true), ...at(WEAK_CUT, false)]
    .filter((c) => c.head.trim() !== "" && c.tail.trim() !== "")
    .sort((a, b) => b.head.length - a.head.length)
    .filter((c) => !seen.has(c.head) && seen.add(c.head) !== undefined);
}
