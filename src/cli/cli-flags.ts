import yargs from "yargs";
import { LogLevel } from "../../utils/log-level.js";
import { ApproveMode } from "../model/approve-mode.js";
import { ErrorCode, WorkflowError } from "../model/errors.js";
import type { Limits } from "../model/safety-policy.js";
import { GraphFormat } from "../plan/plan-graph.js";
import { ExecutorKind } from "../model/executor.js";
import { packageVersion } from "../../utils/version.js";

// The CLI's flags as yargs reads them, and the help text. Only light modules here (no zod, no engine): `--help`
// and `--version` are answered from this module before anything heavy loads (see main.ts).

/** Each limit flag: the `limits` setting it gives (src/safety/safety-policy.ts) and its help text. */
export const LIMIT_FLAGS = {
  "max-tasks": { limit: "maxTasks", describe: "Most tasks a plan may have (default 1000)" },
  "task-timeout": { limit: "taskTimeoutSeconds", describe: "Seconds one task attempt may take (default 600, at most 604800)" },
  "run-deadline": { limit: "runDeadlineSeconds", describe: "Seconds the whole run may take (default: none, at most 2592000)" },
  "max-response-bytes": { limit: "maxResponseBytes", describe: "Largest HTTP response body (default 10 MiB, at most 512 MiB)" },
  "max-result-bytes": {
    limit: "maxResultBytes",
    describe: "Largest db_query result, as the database sends it (default 10 MiB, at most 512 MiB)",
  },
  "transform-timeout": { limit: "transformTimeoutSeconds", describe: "Seconds one JSONata evaluation may take (default 60)" },
  "max-transform-bytes": { limit: "maxTransformBytes", describe: "Bytes one JSONata evaluation may allocate, estimated (default 256 MiB)" },
  "max-llm-calls": { limit: "maxLlmCalls", describe: "LLM calls per run, planner and advisor together (default 20)" },
  "max-llm-tokens": { limit: "maxLlmTokens", describe: "LLM tokens per run (default 200000)" },
  "max-rows": { limit: "maxRows", describe: "Rows one SQL query may return (default 10000)" },
  "statement-timeout": { limit: "statementTimeoutSeconds", describe: "Seconds one SQL statement may run (default 30)" },
} as const satisfies Record<string, { limit: keyof Limits; describe: string }>;

const EXAMPLES: [string, string][] = [
  ["$0 --goal \"Create output/hello.txt with 'Hello'\"", "Plan a goal offline and run it"],
  ['$0 --goal "Fetch https://api.example.com/users and save to output/users.json" --json', "Print the result as one JSON object"],
  ["$0 --plan plan.yaml --var user_id=3", "Run a plan file with a workflow variable"],
  ['$0 --goal "..." --dry-run', "Print the plan and its graph; run nothing"],
  ["$0 runs list --status failed", "The run history (see: node main.js runs --help)"],
  ["$0 runs resume <id>", "Continue a run that was interrupted"],
  ["REDIS_URL=redis://127.0.0.1:6379 $0 worker", "Run tasks of --executor queue runs (see: node main.js worker --help)"],
  ['$0 schedules add --cron "0 2 * * *" --goal "..."', "A cron schedule that `serve` fires (see: node main.js schedules --help)"],
];

/** The flags as yargs returns them (camelCase keys too), before zod checks them. */
export type Flags = Record<string, unknown> & { var?: unknown[]; allowHost?: unknown[] };

/**
 * Read argv with yargs; `--help` and `--version` are answered here (printed, "help" returned). Bad flags throw
 * CONFIG_INVALID (exit 2). The values are checked afterwards by parseArgs (src/cli/args.ts).
 */
export async function readFlags(argv: string[]): Promise<Flags | "help"> {
  const raw = await yargs(argv)
    .scriptName("node main.js")
    .usage(
      '$0 --goal "..." | --plan FILE | --example NAME | --workflow NAME [--input k=v] [options]\n\nPlan a goal as a DAG of tasks and run it.',
    )
    .option("goal", { type: "string", describe: "A goal in plain words, planned then run" })
    .option("plan", { type: "string", describe: "A plan file (JSON or YAML) to run as written" })
    .option("example", { type: "string", describe: "A prebuilt example workflow (data_pipeline, api_orchestration, job_execution)" })
    .option("workflow", { type: "string", describe: "A library workflow NAME or NAME@VERSION to run (see: node main.js workflows list)" })
    .option("input", {
      type: "string",
      array: true,
      describe: "With --workflow: an input name=value (repeatable; typed as the workflow declares)",
    })
    .option("source", { type: "string", describe: "With --example: base URL of the API to use instead of starting the built-in demo API" })
    .option("dry-run", { type: "boolean", describe: "Print the plan and its graph, run nothing" })
    .option("rollback", {
      type: "boolean",
      describe: "If the run fails, undo what completed (each task's compensate, and file writes), newest first",
    })
    .option("json", { type: "boolean", describe: "Print one JSON object with the result on stdout" })
    .option("quiet", { type: "boolean", describe: "No progress lines, only the result" })
    .option("graph", { choices: [...GraphFormat], describe: "Print the plan's DAG (mermaid or dot); after a run, coloured by task status" })
    .option("plain", { type: "boolean", describe: "Progress as plain lines, one per event, even on a terminal (also with NO_COLOR)" })
    .options(engineFlags())
    .options(limitOptions())
    .group(["allow-host", "allow-writes", "approve", ...Object.keys(LIMIT_FLAGS)], "Safety (see README, Safety):")
    .example(EXAMPLES)
    .strictOptions()
    .version(packageVersion())
    .help()
    .wrap(Math.min(110, process.stdout.columns || 110))
    .exitProcess(false)
    .fail((msg, err) => {
      throw new WorkflowError(ErrorCode.ConfigInvalid, `${msg ?? err?.message}. Run with --help for the options.`);
    })
    .parse();
  if (raw.help || raw.version) return "help";
  return raw as Flags;
}

/**
 * The flags that set up the engine, shared by a run and `serve`: workspace, concurrency, planner, logs, lease,
 * persistence, plan cache and the safety settings (the limit flags are limitOptions).
 */
export function engineFlags() {
  return {
    workspace: { type: "string", describe: "Folder that file paths are relative to", default: "." },
    concurrency: { type: "number", describe: "Tasks running at once", default: 8 },
    var: { type: "string", array: true, describe: "Workflow variable name=value (repeatable; JSON values are parsed)" },
    planner: {
      choices: ["auto", "llm", "rules"],
      describe: "Force a planner (auto: LLM when OPENAI_API_KEY is set)",
      default: "auto",
    },
    "log-level": {
      choices: [...LogLevel],
      describe: "Log level of the JSON logs on stderr (default: LOG_LEVEL or warn)",
      default: process.env.LOG_LEVEL || "warn",
    },
    "run-id": { type: "string", describe: "Id of the run (default: a new UUID); an id that already finished is not run again" },
    wait: {
      type: "string",
      describe:
        "With --run-id: when another process drives that run, wait for it (SECONDS, or no value: until it is free) instead of failing with RUN_BUSY",
    },
    "lease-seconds": {
      type: "number",
      describe:
        "Length of the run's lease, renewed every third of it; a crashed holder elsewhere is replaced after it (default: LEASE_SECONDS or 10)",
    },
    persist: {
      type: "boolean",
      default: true,
      describe: "Keep the run's checkpoints (SQLite, or PostgreSQL with CHECKPOINT_URL/DATABASE_URL); --no-persist keeps them in memory",
    },
    executor: {
      choices: [...ExecutorKind],
      describe:
        "Where tasks run: in-process, or queue (jobs for `node main.js worker` processes; needs REDIS_URL) (default: EXECUTOR or in-process)",
    },
    cache: {
      type: "boolean",
      default: true,
      describe: "Reuse a cached plan for the same goal (needs REDIS_URL); --no-cache plans again",
    },
    "allow-host": {
      type: "string",
      array: true,
      describe: "Trust this host (host, host:port or *.example.com) even on a private or loopback address (repeatable; also ALLOW_HOSTS)",
    },
    "allow-writes": { type: "boolean", describe: "Let db_query write (otherwise queries run in a READ ONLY transaction)" },
    approve: {
      choices: [...ApproveMode],
      describe:
        "Mutating tasks: auto runs them, ask asks (or pauses the run for `runs approve`), never refuses them (default: auto for your plans, ask for LLM plans)",
    },
  } as const;
}

/** The limit flags as yargs options. */
export function limitOptions(): { [F in keyof typeof LIMIT_FLAGS]: { type: "number"; describe: string } } {
  return Object.fromEntries(Object.entries(LIMIT_FLAGS).map(([flag, { describe }]) => [flag, { type: "number" as const, describe }])) as {
    [F in keyof typeof LIMIT_FLAGS]: { type: "number"; describe: string };
  };
}

/** `max-rows` as `maxRows`. */
export function camelCase(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
