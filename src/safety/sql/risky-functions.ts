import { asFields, type Fields, namesOf, walk } from "./parse-tree.js";
import { SqlRule } from "./refusal.js";

/** A function the guard refuses wherever it is named, whatever the run may do, and why. */
export interface RiskyFunction {
  /** The name as written (the last part of a qualified name). */
  name: string;
  rule: SqlRule;
  why: string;
}

type Risk = Omit<RiskyFunction, "name">;

const FILES: Risk = { rule: SqlRule.Server, why: "reads, lists or writes files on the database server" };
const LARGE_OBJECTS: Risk = {
  rule: SqlRule.Server,
  why: "reads or writes large objects, which move data between server files and the database outside the rows a query returns",
};
const OTHER_SERVERS: Risk = { rule: SqlRule.Server, why: "connects to another database server, out of the engine's sight" };
const BACKENDS: Risk = { rule: SqlRule.Server, why: "signals other sessions of the database server" };
const SERVER_STATE: Risk = { rule: SqlRule.Server, why: "changes the database server's configuration, logs, WAL or replication state" };
const DYNAMIC: Risk = { rule: SqlRule.DynamicSql, why: "runs SQL text given as a string when it is called, which no parse tree shows" };
const SETTING: Risk = { rule: SqlRule.Session, why: "changes a setting of the database session" };
const SESSION_LOCK: Risk = { rule: SqlRule.Session, why: "takes or drops a session-level advisory lock, which outlives the transaction" };
const SEED: Risk = { rule: SqlRule.Session, why: "seeds random() for the rest of the database session" };

const EXACT: Record<string, Risk> = {
  pg_stat_file: FILES,
  pg_logdir_ls: FILES,
  loread: LARGE_OBJECTS,
  lowrite: LARGE_OBJECTS,
  pg_terminate_backend: BACKENDS,
  pg_cancel_backend: BACKENDS,
  pg_log_backend_memory_contexts: BACKENDS,
  pg_reload_conf: SERVER_STATE,
  pg_rotate_logfile: SERVER_STATE,
  pg_promote: SERVER_STATE,
  pg_switch_wal: SERVER_STATE,
  pg_create_restore_point: SERVER_STATE,
  pg_start_backup: SERVER_STATE,
  pg_stop_backup: SERVER_STATE,
  pg_logical_emit_message: SERVER_STATE,
  pg_create_physical_replication_slot: SERVER_STATE,
  pg_create_logical_replication_slot: SERVER_STATE,
  pg_drop_replication_slot: SERVER_STATE,
  pg_copy_physical_replication_slot: SERVER_STATE,
  pg_copy_logical_replication_slot: SERVER_STATE,
  query_to_xml: DYNAMIC,
  query_to_xmlschema: DYNAMIC,
  query_to_xml_and_xmlschema: DYNAMIC,
  cursor_to_xml: DYNAMIC,
  cursor_to_xmlschema: DYNAMIC,
  ts_stat: DYNAMIC,
  set_config: SETTING,
  setseed: SEED,
  pg_advisory_lock: SESSION_LOCK,
  pg_advisory_lock_shared: SESSION_LOCK,
  pg_try_advisory_lock: SESSION_LOCK,
  pg_try_advisory_lock_shared: SESSION_LOCK,
  pg_advisory_unlock: SESSION_LOCK,
  pg_advisory_unlock_shared: SESSION_LOCK,
  pg_advisory_unlock_all: SESSION_LOCK,
};

/** Whole families: every `dblink_*`, `lo_*`, `pg_read_*`, `pg_ls_*`... */
const PREFIXES: [string, Risk][] = [
  ["dblink", OTHER_SERVERS],
  ["lo_", LARGE_OBJECTS],
  ["pg_read_", FILES],
  ["pg_ls_", FILES],
  ["pg_file_", FILES],
  ["pg_backup_", SERVER_STATE],
  ["pg_wal_replay_", SERVER_STATE],
  ["pg_replication_origin_", SERVER_STATE],
  ["pg_replication_slot_", SERVER_STATE],
  ["pg_logical_slot_", SERVER_STATE],
];

/** What calling `name` with `argCount` arguments risks; undefined for an ordinary function. */
function riskOf(name: string, argCount: number): RiskyFunction | undefined {
  // Identifiers are case-sensitive only when quoted; a quoted "SET_CONFIG" is refused too (it is never innocent).
  const key = name.toLowerCase();
  // ts_rewrite(query, 'SELECT ...') runs its second argument as SQL; the three-argument form does not.
  const risk = key === "ts_rewrite" && argCount === 2 ? DYNAMIC : (EXACT[key] ?? PREFIXES.find(([prefix]) => key.startsWith(prefix))?.[1]);
  return risk ? { name, ...risk } : undefined;
}

/**
 * The first risky function named anywhere in a parse tree: called (`FuncCall`, in any subquery, CTE,
 * argument, cast or default), or referenced where PostgreSQL would call it later (`CREATE CAST ... WITH
 * FUNCTION`, `CREATE OPERATOR (FUNCTION = ...)`, `CREATE TRIGGER ... EXECUTE FUNCTION`, `GRANT ON FUNCTION`).
 */
export function findRiskyFunction(tree: unknown): RiskyFunction | undefined {
  let found: RiskyFunction | undefined;
  const check = (names: string[], argCount: number) => {
    const last = names[names.length - 1];
    if (!found && last !== undefined) found = riskOf(last, argCount);
  };
  walk(tree, (key, value) => {
    if (found) return;
    const fields = asFields(value);
    if (key === "FuncCall") check(namesOf(fields.funcname), arrayLength(fields.args));
    else if (key === "CreateTrigStmt" || key === "CreateEventTrigStmt") check(namesOf(fields.funcname), -1);
    else if (key === "DefineStmt") checkDefinition(fields, check);
    else if ("objname" in fields) check(namesOf(fields.objname), arrayLength(fields.objargs));
  });
  return found;
}

/** `CREATE OPERATOR/AGGREGATE/TYPE (... = function_name)`: the function names in a definition. */
function checkDefinition(fields: Fields, check: (names: string[], argCount: number) => void): void {
  const definition = Array.isArray(fields.definition) ? fields.definition : [];
  for (const item of definition) {
    const arg = asFields(asFields(asFields(item).DefElem).arg);
    if (arg.TypeName) check(namesOf(asFields(arg.TypeName).names), -1);
    else if (arg.List) check(namesOf(asFields(arg.List).items), -1);
  }
}

function arrayLength(value: unknown): number {
  return Array.isArray(value) ? value.length : 0;
}
