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

/** Positions inside a clause where it could be cut in two at a weak separator, last first. */
export function weakCuts(text: string): { head: string; tail: string }[] {
  const cuts: { head: string; tail: string }[] = [];
  for (const m of text.matchAll(/\s*,\s*and\s+|\s*,\s*|\s+and\s+|\s+&\s+/g)) {
    cuts.push({ head: text.slice(0, m.index), tail: text.slice(m.index + m[0].length) });
  }
  return cuts.reverse();
}
