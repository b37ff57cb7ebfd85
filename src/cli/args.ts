import { inputIssues } from "../model/zod-issues.js";
import { packageVersion } from "./version.js";
import yargs from "yargs";
import { z } from "zod";
import { GraphFormat } from "../plan/plan-graph.js";
import { ErrorCode, WorkflowError } from "../model/errors.js";
import { LogLevel } from "../../utils/logger.js";
import { ApproveMode, Limits, type SafetySettingsInput } from "../model/safety-policy.js";

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

/** The CLI's options after parsing, validated by zod. */
export const CliOptions = z
  .object({
    goal: z.string().trim().min(1, "--goal needs some text").optional(),
    plan: z.string().min(1).optional(),
    example: z.string().optional(),
    source: z.url({ protocol: /^https?$/, error: "--source must be an http(s) URL, e.g. http://127.0.0.1:8080" }).optional(),
    dryRun: z.boolean().default(false),
    json: z.boolean().default(false),
    quiet: z.boolean().default(false),
    plain: z.boolean().default(false),
    graph: z.enum(GraphFormat).optional(),
    workspace: z.string().min(1).default("."),
    concurrency: z.number().int("--concurrency must be a whole number").min(1, "--concurrency must be at least 1").max(1024).default(8),
    var: z.array(z.string()).default([]),
    planner: z.enum(["auto", "llm", "rules"]).default("auto"),
    logLevel: z.enum(LogLevel).default("warn"),
    runId: z
      .string()
      .regex(/^[\w.:-]{1,128}$/, "--run-id takes letters, digits, . _ : - (max 128)")
      .optional(),
    persist: z.boolean().default(true),
    wait: z.string().optional(),
    leaseSeconds: z.number().min(1, "--lease-seconds must be at least 1").max(3600).optional(),
    cache: z.boolean().default(true),
    allowHost: z.array(z.string().min(1)).default([]),
    allowWrites: z.boolean().default(false),
    approve: z.enum(ApproveMode).optional(),
    // Limit flags: only "a number" here; their ranges are the Limits schema's (checked in limitsFromFlags).
    ...limitFields(),
  })
  .superRefine((o, ctx) => {
    const sources = [o.goal, o.plan, o.example].filter((v) => v !== undefined).length;
    if (sources !== 1) {
      ctx.addIssue({ code: "custom", path: [], message: 'give exactly one of --goal "...", --plan FILE or --example NAME' });
    }
    if (o.source !== undefined && o.example === undefined) {
      ctx.addIssue({ code: "custom", path: ["source"], message: "--source only applies with --example NAME" });
    }
  });
export type CliOptions = z.infer<typeof CliOptions>;

const EXAMPLES: [string, string][] = [
  ["$0 --goal \"Create output/hello.txt with 'Hello'\"", "Plan a goal offline and run it"],
  ['$0 --goal "Fetch https://api.example.com/users and save to output/users.json" --json', "Print the result as one JSON object"],
  ["$0 --plan plan.yaml --var user_id=3", "Run a plan file with a workflow variable"],
  ['$0 --goal "..." --dry-run', "Print the plan and its graph; run nothing"],
  ["$0 runs list --status failed", "The run history (see: node main.js runs --help)"],
  ["$0 runs resume <id>", "Continue a run that was interrupted"],
];

/** Parse argv with yargs, then validate with zod; bad flags throw CONFIG_INVALID (exit 2). */
export async function parseArgs(argv: string[]): Promise<CliOptions | "help"> {
  const raw = await yargs(argv)
    .scriptName("node main.js")
    .usage('$0 --goal "..." | --plan FILE | --example NAME [options]\n\nPlan a goal as a DAG of tasks and run it.')
    .option("goal", { type: "string", describe: "A goal in plain words, planned then run" })
    .option("plan", { type: "string", describe: "A plan file (JSON or YAML) to run as written" })
    .option("example", { type: "string", describe: "A prebuilt example workflow (data_pipeline, api_orchestration, job_execution)" })
    .option("source", { type: "string", describe: "With --example: base URL of the API to use instead of starting the built-in demo API" })
    .option("dry-run", { type: "boolean", describe: "Print the plan and its graph, run nothing" })
    .option("json", { type: "boolean", describe: "Print one JSON object with the result on stdout" })
    .option("quiet", { type: "boolean", describe: "No progress lines, only the result" })
    .option("graph", { choices: [...GraphFormat], describe: "Print the plan's DAG (mermaid or dot); after a run, coloured by task status" })
    .option("plain", { type: "boolean", describe: "Progress as plain lines, one per event, even on a terminal (also with NO_COLOR)" })
    .option("workspace", { type: "string", describe: "Folder that file paths are relative to", default: "." })
    .option("concurrency", { type: "number", describe: "Tasks running at once", default: 8 })
    .option("var", { type: "string", array: true, describe: "Workflow variable name=value (repeatable; JSON values are parsed)" })
    .option("planner", {
      choices: ["auto", "llm", "rules"],
      describe: "Force a planner (auto: LLM when OPENAI_API_KEY is set)",
      default: "auto",
    })
    .option("log-level", {
      choices: [...LogLevel],
      describe: "Log level of the JSON logs on stderr (default: LOG_LEVEL or warn)",
      default: process.env.LOG_LEVEL || "warn",
    })
    .option("run-id", { type: "string", describe: "Id of the run (default: a new UUID); an id that already finished is not run again" })
    .option("wait", {
      type: "string",
      describe:
        "With --run-id: when another process drives that run, wait for it (SECONDS, or no value: until it is free) instead of failing with RUN_BUSY",
    })
    .option("lease-seconds", {
      type: "number",
      describe:
        "Length of the run's lease, renewed every third of it; a crashed holder elsewhere is replaced after it (default: LEASE_SECONDS or 10)",
    })
    .option("persist", {
      type: "boolean",
      default: true,
      describe: "Keep the run's checkpoints (SQLite, or PostgreSQL with CHECKPOINT_URL/DATABASE_URL); --no-persist keeps them in memory",
    })
    .option("cache", {
      type: "boolean",
      default: true,
      describe: "Reuse a cached plan for the same goal (needs REDIS_URL); --no-cache plans again",
    })
    .option("allow-host", {
      type: "string",
      array: true,
      describe: "Trust this host (host, host:port or *.example.com) even on a private or loopback address (repeatable; also ALLOW_HOSTS)",
    })
    .option("allow-writes", { type: "boolean", describe: "Let db_query write (otherwise queries run in a READ ONLY transaction)" })
    .option("approve", {
      choices: [...ApproveMode],
      describe:
        "Mutating tasks: auto runs them, ask asks (or pauses the run for `runs approve`), never refuses them (default: auto for your plans, ask for LLM plans)",
    })
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
  const parsed = CliOptions.safeParse({ ...raw, var: raw.var?.map(String), allowHost: raw.allowHost?.map(String) }, { reportInput: true });
  if (!parsed.success) {
    const what = inputIssues(parsed.error)
      .map((i) => (i.path === "" || i.message.startsWith("--") ? i.message : `${flagOf(i.path)}: ${i.message}`))
      .join("; ");
    throw new WorkflowError(ErrorCode.ConfigInvalid, `${what}. Run with --help for the options.`);
  }
  limitsFromFlags(parsed.data);
  return parsed.data;
}

/** `--var k=v` pairs as variables; values that parse as JSON (numbers, booleans, objects) keep that type. */
export function parseVariables(pairs: readonly string[]): Record<string, unknown> {
  const variables: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const name = eq > 0 ? pair.slice(0, eq) : "";
    if (!/^[A-Za-z_][\w-]*$/.test(name)) {
      throw new WorkflowError(ErrorCode.ConfigInvalid, `--var "${pair}" is not name=value (names: letters, digits, _ and -).`);
    }
    const text = pair.slice(eq + 1);
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    Object.defineProperty(variables, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return variables;
}

/** The safety settings the CLI flags give (README, Safety); unset limits keep their defaults. */
export function safetyFromOptions(o: CliOptions): SafetySettingsInput {
  return { allowHosts: o.allowHost, allowWrites: o.allowWrites, limits: limitsFromFlags(o), ...(o.approve ? { approve: o.approve } : {}) };
}

/**
 * The limits the flags give, each checked against its range in the Limits schema: a value out of range is
 * CONFIG_INVALID naming the flag, the value and the allowed range (e.g. a --run-deadline past 30 days).
 */
function limitsFromFlags(o: CliOptions): Partial<Record<keyof Limits, number>> {
  const limits: Partial<Record<keyof Limits, number>> = {};
  for (const [flag, { limit }] of Object.entries(LIMIT_FLAGS)) {
    const value = o[camelCase(flag) as keyof CliOptions];
    if (typeof value !== "number") continue;
    const checked = Limits.shape[limit].safeParse(value);
    if (!checked.success) {
      const why = checked.error.issues[0]?.message ?? "is out of range";
      throw new WorkflowError(ErrorCode.ConfigInvalid, `--${flag} ${value}: ${why} (limits.${limit}). Run with --help for the options.`, {
        details: { flag: `--${flag}`, value, setting: `limits.${limit}` },
      });
    }
    limits[limit] = value;
  }
  return limits;
}

/** The CliOptions fields of the limit flags: a number, or absent. */
function limitFields(): { [F in keyof typeof LIMIT_FLAGS as CamelCase<F>]: z.ZodOptional<z.ZodNumber> } {
  const fields = Object.keys(LIMIT_FLAGS).map((flag) => [camelCase(flag), z.number({ error: `--${flag} takes a number` }).optional()]);
  return Object.fromEntries(fields) as { [F in keyof typeof LIMIT_FLAGS as CamelCase<F>]: z.ZodOptional<z.ZodNumber> };
}

type CamelCase<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<CamelCase<T>>}` : S;

/** The limit flags as yargs options. */
function limitOptions(): { [F in keyof typeof LIMIT_FLAGS]: { type: "number"; describe: string } } {
  return Object.fromEntries(Object.entries(LIMIT_FLAGS).map(([flag, { describe }]) => [flag, { type: "number" as const, describe }])) as {
    [F in keyof typeof LIMIT_FLAGS]: { type: "number"; describe: string };
  };
}

function camelCase(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** `--max-rows` for the option path `maxRows` (`limits.maxRows` too). */
function flagOf(path: string): string {
  const key = path.split(".").pop() ?? path;
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}
