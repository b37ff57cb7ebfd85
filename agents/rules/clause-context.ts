import type { Masked } from "./mask.js";
import type { Scope } from "./scope.js";
import type { Step } from "./steps.js";

/** What a clause parser sees. */
export interface ClauseContext {
  /** The clause, literals masked, filler removed. */
  readonly text: string;
  readonly masked: Masked;
  /** What the data so far is, to tell a description ("the active users") from a request ("the names"). */
  readonly scope: Scope;
}

/** A parser's answer: the steps, a reason it recognised the clause but cannot plan it, or no match. */
export type ParseOutcome = Step[] | { reason: string } | undefined;

export type ClauseParser = (ctx: ClauseContext) => ParseOutcome;
