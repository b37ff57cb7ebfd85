import type { HttpMethod } from "../../src/model/action-config/api-call.js";
import { describeOp, type ListOp } from "./list-ops.js";
import type { Joiner } from "./split.js";

export type Method = (typeof HttpMethod)[number];

/** Where an HTTP body comes from: written in the goal, the data so far ("send it"), or the data so far if any. */
export type BodySource = "none" | "literal" | "input" | "auto";

/** One step a clause asks for, before ids and references are assigned. */
export type Step =
  | {
      kind: "http";
      method: Method;
      url: string;
      bodyFrom: BodySource;
      body?: unknown;
      timeout?: number;
      headers?: Record<string, string>;
      params?: Record<string, string | number | boolean>;
      attempts?: number;
    }
  | { kind: "sql"; query: string; params: unknown[] }
  | { kind: "read"; path: string }
  | { kind: "list"; path: string }
  | { kind: "exists"; path: string }
  | { kind: "delete"; path: string }
  | { kind: "write"; path: string; content: unknown; append: boolean }
  | { kind: "save"; path: string; append: boolean }
  | { kind: "transform"; ops: ListOp[] }
  | { kind: "merge" }
  | { kind: "wait"; seconds?: number; ms?: number };

/** A step with the clause it came from. */
export type PlannedStep = Step & {
  /** The clause as written, for error messages. */
  readonly clause: string;
  /** Every clause this step accounts for (several when transforms of consecutive clauses are joined). */
  readonly from: readonly string[];
  readonly joiner: Joiner;
  /** "in parallel" was said: a source joins the sources before it even after "then". */
  readonly parallel: boolean;
};

/** Steps that produce data from nothing; consecutive ones may run in parallel. */
export function isSource(step: Step): boolean {
  return (
    (step.kind === "http" && step.bodyFrom !== "input") ||
    step.kind === "sql" ||
    step.kind === "read" ||
    step.kind === "list" ||
    step.kind === "exists"
  );
}

/** A short human description of a step, used in error messages and task descriptions. */
export function describeStep(step: Step): string {
  switch (step.kind) {
    case "http": {
      const body =
        step.bodyFrom === "literal"
          ? ` with body ${JSON.stringify(step.body)}`
          : step.bodyFrom === "input"
            ? " with the data so far as body"
            : "";
      const timeout = step.timeout === undefined ? "" : ` (timeout ${step.timeout} s)`;
      return `${step.method === "GET" ? "fetch " : ""}${step.method} ${step.url}${body}${timeout}`;
    }
    case "sql":
      return `run SQL: ${step.query}${step.params.length ? ` with params ${JSON.stringify(step.params)}` : ""}`;
    case "read":
      return `read ${step.path}`;
    case "list":
      return `list the files in ${step.path}`;
    case "exists":
      return `check whether ${step.path} exists`;
    case "delete":
      return `delete ${step.path}`;
    case "write":
      return `${step.append ? "append" : "write"} ${JSON.stringify(step.content)} to ${step.path}`;
    case "save":
      return `${step.append ? "append the data so far to" : "save the data so far to"} ${step.path}`;
    case "transform":
      return step.ops.map(describeOp).join(", then ");
    case "merge":
      return "merge the results";
    case "wait":
      return step.ms !== undefined ? `wait ${step.ms} ms` : `wait ${step.seconds} seconds`;
  }
}
