import yargs from "yargs";
import { z } from "zod";
import { LogLevel } from "../../utils/log-level.js";
import { ErrorCode, WorkflowError } from "../model/errors.js";
import { ActionType } from "../model/plan-schema.js";
import { Limits } from "../model/safety-policy.js";
import { inputIssues } from "../model/zod-issues.js";
import { camelCase, LIMIT_FLAGS, limitOptions } from "./cli-flags.js";

const USAGE = `node main.js worker [--actions api_call,db_query] [--concurrency 8] [options]

Run task attempts for runs started with --executor queue (or EXECUTOR=queue), from the task queues in Redis
(REDIS_URL, REDIS_PREFIX). Each attempt runs with the same action code, guards and limits as in process, under
the run's safety policy, which comes with the job; this worker's safety flags can only narrow it:
--allow-host keeps only those of the run's trusted hosts, --no-allow-writes refuses db_query writes, --approve
never refuses mutating tasks, and a limit flag lowers that limit. db_query uses DATABASE_URL (else an embedded
database in the workspace, which only one process can open). SIGTERM: take no new jobs, give those in hand
--grace-seconds to finish, then hand them back to the queue and exit.`;

/** The worker's options after parsing, validated by zod. */
const WorkerCliOptions = z.object({
  actions: z.array(z.enum(ActionType, { error: `--actions takes a comma-separated list of: ${ActionType.join(", ")}` })).min(1),
  concurrency: z.number().int("--concurrency must be a whole number").min(1, "--concurrency must be at least 1").max(1024),
  workspace: z.string().min(1),
  logLevel: z.enum(LogLevel),
  lockSeconds: z.number().min(1, "--lock-seconds must be at least 1").max(3600),
  stalledCheckSeconds: z.number().min(0.5, "--stalled-check-seconds must be at least 0.5").max(3600).optional(),
  graceSeconds: z.number().min(0).max(86_400),
  name: z.string().min(1).max(200).optional(),
  allowHost: z.array(z.string().min(1)).optional(),
  allowWrites: z.boolean().optional(),
  approve: z.literal("never").optional(),
  limits: Limits.partial(),
  /** Serve Prometheus metrics at http://<metricsHost>:<port>/metrics (0: any free port). */
  metricsPort: z.number().int("--metrics-port must be a whole number").min(0).max(65_535, "--metrics-port is at most 65535").optional(),
  metricsHost: z.string().min(1),
});
export type WorkerCliOptions = z.infer<typeof WorkerCliOptions>;

/** Read and check `worker`'s flags; "help" when --help was answered. Bad flags throw CONFIG_INVALID (exit 2). */
export async function readWorkerFlags(argv: string[]): Promise<WorkerCliOptions | "help"> {
  const raw = await yargs(argv)
    .scriptName("node main.js worker")
    .usage(USAGE)
    .option("actions", { type: "string", describe: `Action types to serve, comma-separated (default: all: ${ActionType.join(",")})` })
    .option("concurrency", { type: "number", default: 8, describe: "Attempts run at once per served action type" })
    .option("workspace", { type: "string", default: ".", describe: "Folder that file paths are relative to" })
    .option("log-level", { choices: [...LogLevel], default: process.env.LOG_LEVEL || "warn", describe: "Level of the JSON logs on stderr" })
    .option("lock-seconds", {
      type: "number",
      default: 30,
      describe: "A job's lock; a killed worker's job runs again after about this long",
    })
    .option("stalled-check-seconds", { type: "number", describe: "How often to look for stalled jobs (default: --lock-seconds)" })
    .option("grace-seconds", {
      type: "number",
      default: 30,
      describe: "On SIGTERM: how long the jobs in hand may take before they are handed back",
    })
    .option("name", { type: "string", describe: "This worker's name in the queue metrics (default: host:pid)" })
    .option("allow-host", { type: "string", array: true, describe: "Keep only these of a run's trusted hosts (narrows; repeatable)" })
    .option("allow-writes", { type: "boolean", describe: "--no-allow-writes: refuse db_query writes even when the run allows them" })
    .option("approve", { choices: ["never"], describe: "never: refuse mutating tasks on this worker" })
    .option("metrics-port", { type: "number", describe: "Serve Prometheus metrics on this port at /metrics (0: any free port)" })
    .option("metrics-host", { type: "string", default: "127.0.0.1", describe: "Address the metrics listener binds" })
    .options(limitOptions())
    .strictOptions()
    .version(false)
    .help()
    .wrap(Math.min(110, process.stdout.columns || 110))
    .exitProcess(false)
    .fail((msg, err) => {
      throw new WorkflowError(ErrorCode.ConfigInvalid, `${msg ?? err?.message}. Run \`node main.js worker --help\`.`);
    })
    .parse();
  if (raw.help) return "help";
  const limits = Object.fromEntries(
    Object.entries(LIMIT_FLAGS)
      .map(([flag, { limit }]) => [limit, (raw as Record<string, unknown>)[camelCase(flag)]] as const)
      .filter(([, value]) => value !== undefined),
  );
  const parsed = WorkerCliOptions.safeParse(
    {
      actions:
        raw.actions === undefined
          ? [...ActionType]
          : String(raw.actions)
              .split(",")
              .map((a) => a.trim())
              .filter(Boolean),
      concurrency: raw.concurrency,
      workspace: raw.workspace,
      logLevel: raw["log-level"],
      lockSeconds: raw["lock-seconds"],
      stalledCheckSeconds: raw["stalled-check-seconds"],
      graceSeconds: raw["grace-seconds"],
      name: raw.name,
      allowHost: raw["allow-host"]?.map(String),
      allowWrites: raw["allow-writes"],
      approve: raw.approve,
      limits,
      metricsPort: raw["metrics-port"],
      metricsHost: raw["metrics-host"],
    },
    { reportInput: true },
  );
  if (!parsed.success) {
    const what = inputIssues(parsed.error)
      .map((i) => (i.message.startsWith("--") ? i.message : `--${i.path.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${i.message}`))
      .join("; ");
    throw new WorkflowError(ErrorCode.ConfigInvalid, `${what}. Run \`node main.js worker --help\`.`);
  }
  return parsed.data;
}
