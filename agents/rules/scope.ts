import type { ListOp } from "./list-ops.js";
import { singular } from "./nouns.js";
import { isSource, type PlannedStep, type Step } from "./steps.js";

/**
 * What the data so far is, as the clauses before have shaped it: which sources it came from, which
 * fields and values filtered it, which operations ran on it. Data phrases are read against it:
 * "the users" after fetching /users only names the data; "the active users" after "where active is
 * true" restates the filter; "the count" needs a count before it; "the names" asks for a field.
 */
export interface Scope {
  readonly hasData: boolean;
  /** Words (singular, lower case) of the sources' URLs, file names and SQL tables. */
  readonly sources: ReadonlySet<string>;
  /** The same words per source, when several sources make the data (fetched in parallel, merged). */
  readonly groups: readonly (readonly string[])[];
  /** Fields and text values the filters so far tested (lower case). */
  readonly filtered: ReadonlySet<string>;
  /** Operations applied since the sources ("merge" included). */
  readonly done: ReadonlySet<string>;
  /** The data so far is a count. */
  readonly counted: boolean;
}

const EMPTY_SCOPE: Scope = { hasData: false, sources: new Set(), groups: [], filtered: new Set(), done: new Set(), counted: false };

function words(text: string): string[] {
  return (text.toLowerCase().match(/[a-z][a-z0-9_]*/g) ?? []).map(singular);
}

/** The words of a URL's path ("/api/users/3" → api, user): the query names fields, not the data. */
function urlWords(url: string): string[] {
  const path = url
    .replace(/^[a-z]+:\/\/[^/?#]*/i, "")
    .replace(/[?#].*$/, "")
    .replace(/\{\{[^}]*\}\}/g, " ");
  return words(path);
}

/** The words a source step names its data by: `user` for GET /users, `order` for SELECT ... FROM orders. */
export function sourceWords(step: Step): string[] {
  switch (step.kind) {
    case "http":
      return urlWords(step.url);
    case "read":
      return words((step.path.split("/").pop() ?? "").replace(/\.[^.]+$/, ""));
    case "sql":
      return [...step.query.matchAll(/\b(?:from|join)\s+([\w."]+)/gi)].flatMap((m) => words(m[1] ?? ""));
    case "list":
      return ["file", "entry"];
    default:
      return [];
  }
}

function fieldsOf(ops: readonly ListOp[]): string[] {
  return ops
    .flatMap((op) =>
      op.op !== "filter"
        ? []
        : [op.field, ...(typeof op.value === "string" ? [op.value] : []), ...(Array.isArray(op.value) ? op.value.map(String) : [])],
    )
    .flatMap(words);
}

/** A scope with one more source, for the nouns of a fetch clause ("get the users from URL"). */
export function withSources(scope: Scope, more: readonly string[]): Scope {
  return { ...scope, hasData: true, sources: new Set([...scope.sources, ...more]), groups: [...scope.groups, more] };
}

/** "the users" after fetching /users and /posts together names one of the results, not the data. */
export function namesOnlySome(scope: Scope, word: string): boolean {
  const w = singular(word);
  return scope.groups.length > 1 && scope.groups.some((g) => g.includes(w)) && !scope.groups.every((g) => g.includes(w));
}

/** The scope after these steps, following the data as build-plan.ts does. */
export function scopeOf(steps: readonly PlannedStep[]): Scope {
  let scope = EMPTY_SCOPE;
  let lastWasSource = false;
  for (const step of steps) {
    const consumer = step.kind === "http" && (step.bodyFrom === "input" || (step.bodyFrom === "auto" && scope.hasData));
    if (isSource(step) && !consumer) {
      const joins = lastWasSource && (step.joiner !== "then" || step.parallel);
      scope = joins ? withSources(scope, sourceWords(step)) : withSources(EMPTY_SCOPE, sourceWords(step));
      lastWasSource = true;
      continue;
    }
    lastWasSource = false;
    if (step.kind === "transform") {
      scope = {
        ...scope,
        filtered: new Set([...scope.filtered, ...fieldsOf(step.ops)]),
        done: new Set([...scope.done, ...step.ops.map((o) => o.op)]),
        counted: step.ops.at(-1)?.op === "count",
      };
    } else if (step.kind === "merge") {
      scope = { ...scope, done: new Set([...scope.done, "merge"]), counted: false };
    }
  }
  return scope;
}
