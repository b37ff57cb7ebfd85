import type { TaskSpec } from "../../model/plan-schema.js";

/** A statement that can only read: the engine's SQL guard still checks it with the real parser. */
const READING_SQL = /^\s*(select|show|values|explain|table)\b/i;

/**
 * True when a task changes something outside the run: a non-GET api_call, a SQL statement that is
 * not a plain read, a file write, append or delete. A method given by a reference counts as mutating.
 */
export function isMutating(task: Pick<TaskSpec, "action_type" | "action_config">): boolean {
  const config = task.action_config;
  switch (task.action_type) {
    case "api_call": {
      const method = config.method === undefined ? "GET" : String(config.method).toUpperCase();
      return method !== "GET";
    }
    case "db_query":
      return !READING_SQL.test(String(config.query ?? "")) || /\b(insert|update|delete|merge)\b/i.test(String(config.query ?? ""));
    case "file_operation":
      return ["write", "append", "delete"].includes(String(config.operation));
    case "transform_data":
    case "wait":
      return false;
    // A child run holds its own mutating tasks under the same approval mode.
    case "workflow":
      return false;
  }
}

/** One line saying what a mutating task would do, for approval prompts. */
export function describeMutation(task: Pick<TaskSpec, "id" | "action_type" | "action_config">): string {
  const c = task.action_config;
  switch (task.action_type) {
    case "api_call":
      return `${String(c.method ?? "GET").toUpperCase()} ${String(c.url)}`;
    case "db_query":
      return `SQL ${clip(String(c.query))}`;
    case "file_operation":
      return `${String(c.operation)} file ${String(c.path)}`;
    default:
      return task.action_type;
  }
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 120 ? `${flat.slice(0, 120)}…` : flat;
}
