import type { z } from "zod";

/** One problem found in an input: where it is, and what is wrong with it. */
export interface InputIssue {
  path: string;
  message: string;
}

const MAX_SHOWN = 80;
/** zod's own messages, which name neither the value nor (always) what is allowed. */
const ZOD_DEFAULT = /^(Too small|Too big|Invalid option|Invalid input|Invalid value|Unrecognized key|Invalid string|Invalid number)/;

/** A value as a message shows it: JSON, shortened, on one line. */
function showValue(value: unknown): string {
  let text: string;
  try {
    text =
      value === undefined
        ? "nothing"
        : typeof value === "number" && !Number.isFinite(value)
          ? String(value)
          : (JSON.stringify(value) ?? String(value));
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}

/** `a.b[2].c` from a zod path, behind `prefix`. */
function issuePath(path: readonly PropertyKey[], prefix = ""): string {
  const joined = [prefix, ...path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))].join("");
  return joined.replace(/^\./, "");
}

/**
 * What is wrong, naming the value given and what is allowed: `"shell_exec" is not one of api_call, db_query`,
 * `-5 is below the minimum 0`. Needs the issues of a parse made with `{ reportInput: true }`.
 */
function describeIssue(issue: z.core.$ZodIssue): string {
  const given = "input" in issue ? showValue(issue.input) : undefined;
  // A schema's own message says what is allowed in its words: keep it, and name the value (an object's
  // rule, such as "give exactly one of", is about its fields, which the message names).
  if (!ZOD_DEFAULT.test(issue.message)) return isScalar(issue) ? `${issue.message} (given ${given})` : issue.message;
  switch (issue.code) {
    case "invalid_value":
      return `${given} is not one of ${issue.values.map((v) => (typeof v === "string" ? v : showValue(v))).join(", ")}`;
    case "too_small":
      return `${given} is ${sizeWord(issue.origin, "small")} the minimum ${issue.inclusive === false ? "(exclusive) " : ""}${String(issue.minimum)}${unit(issue.origin)}`;
    case "too_big":
      return `${given} is ${sizeWord(issue.origin, "big")} the maximum ${issue.inclusive === false ? "(exclusive) " : ""}${String(issue.maximum)}${unit(issue.origin)}`;
    case "invalid_type":
      return issue.input === undefined ? `missing (expected ${issue.expected})` : `${given} is not a ${issue.expected}`;
    case "unrecognized_keys":
      return `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
    default:
      return given === undefined ? issue.message : `${issue.message} (given ${given})`;
  }
}

function isScalar(issue: z.core.$ZodIssue): boolean {
  if (!("input" in issue)) return false;
  const v = issue.input;
  return v === null || ["string", "number", "boolean", "bigint"].includes(typeof v);
}

function sizeWord(origin: string | undefined, kind: "small" | "big"): string {
  const numeric = origin === "number" || origin === "int" || origin === "bigint" || origin === "date";
  if (numeric) return kind === "small" ? "below" : "above";
  return kind === "small" ? "shorter than" : "longer than";
}

function unit(origin: string | undefined): string {
  if (origin === "string") return " characters";
  if (origin === "array" || origin === "set") return " items";
  return "";
}

/** Every issue of a failed parse as `{path, message}`, the message naming the value given. */
export function inputIssues(error: z.ZodError, prefix = ""): InputIssue[] {
  return error.issues.map((issue) => ({ path: issuePath(issue.path, prefix), message: describeIssue(issue) }));
}
