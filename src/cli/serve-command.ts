import yargs from "yargs";
import { ErrorCode, WorkflowError } from "../model/errors.js";
import { createLogger } from "../../utils/logger.js";
import { SecretScrubber } from "../safety/secrets/scrubber.js";
import { hostOf } from "../safety/network/trusted-hosts.js";
import { startDemoApi } from "../demo/demo-api.js";
import { isLoopbackHost } from "../server/host-check.js";
import { WorkflowService } from "../server/workflow-service.js";
import { checkFlags, safetyFromOptions } from "./args.js";
import { engineFlags, type Flags, limitOptions } from "./cli-flags.js";
import { WorkflowEngine } from "../engine/workflow-engine.js";
import { firstStopSignal } from "./stop-signal.js";

export interface ServeIo {
  out(text: string): void;
  err(text: string): void;
}

const USAGE = `node main.js serve [--host 127.0.0.1] [--port 8080] [options]

Run the engine as a service: the HTTP API (GET /openapi.json), the dashboard at /, and the schedules.
It takes the same persistence, Redis, safety and limit settings as a run. SIGTERM stops taking runs, gives
those in flight --grace-seconds to end, suspends the rest at their last checkpoint and exits; a server that
starts resumes the runs left in flight.`;

async function readServeFlags(argv: string[]): Promise<Flags | "help"> {
  const raw = await yargs(argv)
    .scriptName("node main.js serve")
    .usage(USAGE)
    .option("host", { type: "string", default: "127.0.0.1", describe: "Address to listen on" })
    .option("port", { type: "number", default: 8080, describe: "Port to listen on (0: any free port)" })
    .option("grace-seconds", { type: "number", default: 30, describe: "On SIGTERM: how long runs in flight may take to end" })
    .option("rate-limit", { type: "number", default: 600, describe: "Requests per minute per client address (0: no limit)" })
    .option("demo", { type: "boolean", default: false, describe: "Start the demo API on loopback for the prebuilt workflows" })
    .option("insecure", {
      type: "boolean",
      default: false,
      describe: "Listen on a non-loopback address without SERVER_TOKEN (anyone who reaches it may start and approve runs)",
    })
    .options(engineFlags())
    .options(limitOptions())
    .strictOptions()
    .version(false)
    .help()
    .exitProcess(false)
    .fail((msg, err) => {
      throw new WorkflowError(ErrorCode.ConfigInvalid, `${msg ?? err?.message}. Run \`node main.js serve --help\`.`);
    })
    .parse();
  return raw.help ? "help" : (raw as Flags);
}

function checkNumber(flag: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new WorkflowError(ErrorCode.ConfigInvalid, `--${flag} ${String(value)}: a whole number from ${min} to ${max} is allowed.`);
  }
  return value;
}

/** `node main.js serve`: the HTTP API, the dashboard and the schedules, until SIGTERM or SIGINT. */
export async function serveCommand(argv: string[], io: ServeIo): Promise<number> {
  const flags = await readServeFlags(argv);
  if (flags === "help") return 0;
  const port = checkNumber("port", flags.port, 0, 65_535);
  const graceSeconds = checkNumber("grace-seconds", flags.graceSeconds, 0, 86_400);
  const rateLimit = checkNumber("rate-limit", flags.rateLimit, 0, 1_000_000);
  const host = String(flags.host);
  const token = process.env.SERVER_TOKEN || undefined;
  if (token !== undefined && token.length < 16) {
    throw new WorkflowError(
      ErrorCode.ConfigInvalid,
      `SERVER_TOKEN is ${token.length} characters; at least 16 are needed (e.g. openssl rand -hex 24).`,
    );
  }
  if (!token && !flags.insecure && !isLoopbackHost(host)) {
    throw new WorkflowError(
      ErrorCode.ConfigInvalid,
      `--host ${host} is reachable from other machines, and anyone who reaches the server may start and approve runs: ` +
        "set SERVER_TOKEN (clients then send Authorization: Bearer <token>), or pass --insecure to serve without one.",
    );
  }
  // The run flags mean what they mean for a run, checked by the same schema.
  const options = checkFlags({ ...flags, goal: "serve" });
  const logger = createLogger(options.logLevel, SecretScrubber.fromEnv(process.env));
  const demo = flags.demo ? await startDemoApi() : undefined;
  const demoHost = demo ? hostOf(demo.url) : undefined;
  const service = await WorkflowService.create(
    (onEvent, metrics) =>
      new WorkflowEngine({
        metrics,
        workspace: options.workspace,
        concurrency: options.concurrency,
        planner: options.planner,
        logger,
        planCache: options.cache,
        ...(options.leaseSeconds === undefined ? {} : { leaseSeconds: options.leaseSeconds }),
        ...(options.executor ? { executor: options.executor } : {}),
        ...safetyFromOptions({ ...options, allowHost: demoHost ? [...options.allowHost, demoHost] : options.allowHost }),
        ...(options.persist ? {} : { persist: "memory" as const }),
        onEvent,
        onNotice: (message) => io.err(message),
      }),
    { logger, rateLimitPerMinute: rateLimit, ...(token ? { token } : {}), ...(demo ? { defaultSource: demo.url } : {}) },
  );
  let url: string;
  try {
    url = await service.listen(host, port);
  } catch (err) {
    await Promise.all([service.close(0), demo?.close()]);
    throw new WorkflowError(ErrorCode.ConfigInvalid, `Cannot listen on ${host}:${port}: ${(err as Error).message}.`, { cause: err });
  }
  io.err(`serving ${url} (dashboard at /, API description at /openapi.json)${demo ? `; demo API at ${demo.url}` : ""}`);
  io.out(url);
  const signal = await firstStopSignal();
  io.err(
    `${signal}: taking no new runs; ${service.runs.inFlight} in flight get ${graceSeconds} s to end, then stop at their last checkpoint`,
  );
  await service.close(graceSeconds * 1000);
  await demo?.close();
  io.err("stopped");
  return 0;
}
