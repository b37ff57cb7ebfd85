import { LIMIT_FLAGS } from "./cli-flags.js";

/** The flag of each limit, by the limit's name in the engine options (`taskTimeoutSeconds` → `--task-timeout`). */
const FLAG_OF_LIMIT = new Map<string, string>(Object.entries(LIMIT_FLAGS).map(([flag, { limit }]) => [limit, `--${flag}`]));

/**
 * The engine names its settings as the API spells them (`limits.taskTimeoutSeconds`, `allowWrites: true`,
 * `allowHosts: ["h"]`, `approve: "ask"`, ...); a person at the CLI sets them with flags. Each rewrite maps one
 * such spelling to the flag, for the text the CLI shows a person (never its --json output).
 */
const REWRITES: [RegExp, (...groups: string[]) => string][] = [
  [/\blimits\.(\w+)/g, (whole, name) => FLAG_OF_LIMIT.get(name ?? "") ?? whole],
  [/\ballowWrites: true\b/g, () => "--allow-writes"],
  [/\ballowHosts: \["([^"\s]*)"\]/g, (_, host) => `--allow-host ${host}`],
  [/\bapprove: \\?"(never|ask|auto)\\?"/g, (_, mode) => `--approve ${mode}`],
  [/\bplanner: \\?"(llm|rules)\\?"/g, (_, kind) => `--planner ${kind}`],
  [/\bwaitSeconds\b/g, () => "--wait [SECONDS]"],
  [/\bpersist: "memory"/g, () => "--no-persist"],
  [/\bvariables\.([A-Za-z_][\w-]*)/g, (_, name) => `--var ${name}=...`],
  [/\brun it as a plan file\b/g, () => "pass it with --plan FILE"],
  [/\(a plan file\)/g, () => "(--plan FILE)"],
  [/\(workspace\)/g, () => "(--workspace DIR)"],
];

/** `text` with the engine's setting names replaced by the CLI flags that set them. */
export function withFlags(text: string): string {
  let out = text;
  for (const [pattern, replace] of REWRITES) out = out.replace(pattern, (...m: unknown[]) => replace(...(m.slice(0, -2) as string[])));
  return out;
}
