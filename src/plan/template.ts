import { ErrorCode, WorkflowError } from "../model/errors.js";
import { ENV_ROOT, envNameOf } from "./env-reference.js";
import { PURE_REFERENCE } from "../model/template-schema.js";

// One greedy class, no \s* around it: linear even on a megabyte of spaces after "{{". parseReference trims.
const REFERENCE = /\{\{([^{}]+)\}\}/g;
const SEGMENT = /^([A-Za-z_$][\w$-]*)((?:\.[\w$-]+|\[\d+\])*)$/;

/** A parsed `{{root.path}}`: `root` is a task id, a variable name, or `env` (`{{env.NAME}}`). */
export interface Reference {
  raw: string;
  root: string;
  path: (string | number)[];
}

/** Parse the inside of `{{...}}`; returns undefined when it is not a well-formed reference. */
export function parseReference(untrimmed: string): Reference | undefined {
  const inner = untrimmed.trim();
  const m = SEGMENT.exec(inner);
  if (!m) return undefined;
  const [, root = "", rest = ""] = m;
  const path: (string | number)[] = [];
  for (const part of rest.matchAll(/\.([\w$-]+)|\[(\d+)\]/g)) {
    path.push(part[1] !== undefined ? part[1] : Number(part[2]));
  }
  return { raw: inner, root, path };
}

/** Every `{{...}}` inside a value (strings, arrays and objects, walked deeply). Malformed ones come back in `malformed`. */
export function findReferences(value: unknown): { refs: Reference[]; malformed: string[] } {
  const refs: Reference[] = [];
  const malformed: string[] = [];
  walkStrings(value, (s) => {
    for (const m of s.matchAll(REFERENCE)) {
      const ref = parseReference(m[1] ?? "");
      if (ref) refs.push(ref);
      else malformed.push(m[0]);
    }
  });
  return { refs, malformed };
}

function walkStrings(value: unknown, visit: (s: string) => void): void {
  if (typeof value === "string") visit(value);
  else if (Array.isArray(value)) for (const v of value) walkStrings(v, visit);
  else if (isPlainObject(value)) for (const v of Object.values(value)) walkStrings(v, visit);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Where references read from: finished tasks' results and the workflow variables. */
export interface TemplateScope {
  results: Readonly<Record<string, unknown>>;
  variables: Readonly<Record<string, unknown>>;
  taskIds: { has(id: string): boolean };
  /**
   * The environment variables `{{env.NAME}}` may read (src/safety/secret-access.ts `envScope`): only the
   * names the user's plan refers to. Without it, no environment reference resolves.
   */
  env?: Readonly<Record<string, string | undefined>>;
}

function lookupEnv(ref: Reference, scope: TemplateScope): string {
  const name = envNameOf(ref);
  if (name === undefined) throw unresolved(ref, "environment references are written {{env.NAME}}");
  if (!scope.env || !Object.hasOwn(scope.env, name)) {
    throw unresolved(ref, `environment variables are read only where the plan you wrote refers to them, and it does not refer to ${name}`);
  }
  const value = scope.env[name];
  if (value === undefined) {
    throw unresolved(
      ref,
      `the environment variable ${name} is not set; set it in the environment of the process that runs (or resumes) the workflow`,
    );
  }
  return value;
}

function lookup(ref: Reference, scope: TemplateScope): unknown {
  // Validation keeps "env" from being a task id or a variable: the root is always the environment.
  if (ref.root === ENV_ROOT) return lookupEnv(ref, scope);
  const isTask = scope.taskIds.has(ref.root);
  let current: unknown;
  if (isTask) {
    if (!Object.hasOwn(scope.results, ref.root)) throw unresolved(ref, `task "${ref.root}" has no result yet`);
    current = scope.results[ref.root];
  } else if (Object.hasOwn(scope.variables, ref.root)) {
    current = scope.variables[ref.root];
  } else {
    throw unresolved(ref, `"${ref.root}" is neither a task id nor a variable (give it as variables.${ref.root})`);
  }
  for (const key of ref.path) {
    if (current === null || typeof current !== "object" || !Object.hasOwn(current, key)) {
      throw unresolved(ref, `the value has no "${String(key)}"`);
    }
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

function unresolved(ref: Reference, why: string): WorkflowError {
  return new WorkflowError(ErrorCode.TemplateUnresolved, `Cannot resolve {{${ref.raw}}}: ${why}.`, {
    details: { reference: ref.raw },
  });
}

function stringify(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined) return "";
  return JSON.stringify(value);
}

/**
 * Replace every reference in `value`. A string that is exactly one reference becomes the referenced
 * value with its type; references inside longer strings are stringified.
 */
export function resolveTemplates(value: unknown, scope: TemplateScope): unknown {
  if (typeof value === "string") {
    if (!value.includes("{{")) return value;
    const pure = PURE_REFERENCE.exec(value);
    if (pure) {
      const ref = parseReference(pure[1] ?? "");
      if (ref) return lookup(ref, scope);
    }
    return value.replace(REFERENCE, (whole, inner: string) => {
      const ref = parseReference(inner);
      return ref ? stringify(lookup(ref, scope)) : whole;
    });
  }
  if (Array.isArray(value)) return value.map((v) => resolveTemplates(v, scope));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // defineProperty, not assignment: a "__proto__" key from JSON must stay data, never a prototype.
      Object.defineProperty(out, k, { value: resolveTemplates(v, scope), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}
