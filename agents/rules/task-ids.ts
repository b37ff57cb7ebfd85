import { TASK_ID } from "../../src/model/plan-schema.js";
import { nameFromPath, nameFromUrl, slug } from "./paths.js";
import type { Step } from "./steps.js";

/** Short, readable task ids (`fetch_users`, `filter`, `save`), unique within a plan. */

const OP_NAMES: Readonly<Record<string, string>> = {
  filter: "filter",
  sort: "sort",
  limit: "limit",
  last: "last",
  rename: "rename",
  pick: "pick",
  select: "select",
  map: "add_field",
  count: "count",
  merge: "merge",
};

function transformBase(ops: readonly { op: string }[]): string {
  const names = [...new Set(ops.map((o) => OP_NAMES[o.op] ?? o.op))];
  return names.length > 3 ? "transform" : names.join("_");
}

function withName(prefix: string, name: string): string {
  return name === "" ? prefix : `${prefix}_${name}`;
}

/** The id a step would like; `uniqueId` makes it unique. */
function baseId(step: Step): string {
  switch (step.kind) {
    case "http":
      return withName(step.method === "GET" ? "fetch" : step.method.toLowerCase(), nameFromUrl(step.url));
    case "sql":
      return "query";
    case "read":
      return withName("read", nameFromPath(step.path));
    case "list":
      return "list_files";
    case "exists":
      return withName("check", nameFromPath(step.path));
    case "delete":
      return withName("delete", nameFromPath(step.path));
    case "write":
      return withName(step.append ? "append" : "write", nameFromPath(step.path));
    case "save":
      return step.append ? withName("append", nameFromPath(step.path)) : "save";
    case "transform":
      return transformBase(step.ops);
    case "merge":
      return "merge";
    case "wait":
      return "wait";
  }
}

/** `base`, or `base_2`, `base_3`... when taken; always a valid task id. */
function uniqueId(base: string, taken: ReadonlySet<string>, fallback?: string): string {
  let id = slug(base, 48) || "task";
  if (!/^[A-Za-z_]/.test(id)) id = `t_${id}`;
  if (taken.has(id) && fallback !== undefined) id = slug(fallback, 48) || id;
  let candidate = id;
  for (let n = 2; taken.has(candidate) || !TASK_ID.test(candidate); n++) candidate = `${id}_${n}`;
  return candidate;
}

/** The id for a step: a second save is `save_<file>` rather than `save_2`. */
export function idFor(step: Step, taken: ReadonlySet<string>): string {
  const fallback = step.kind === "save" ? withName("save", nameFromPath(step.path)) : undefined;
  return uniqueId(baseId(step), taken, fallback);
}

/** The key a result goes under when several are combined: `users` for /users, `rows` for SQL. */
export function outputKey(step: Step, id: string): string {
  switch (step.kind) {
    case "http":
      return nameFromUrl(step.url) || "response";
    case "sql":
      return "rows";
    case "read":
      return nameFromPath(step.path) || "file";
    case "list":
      return "files";
    case "exists":
      return "exists";
    default:
      return id;
  }
}
