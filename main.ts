import { readFlags } from "./src/cli/cli-flags.js";
import { exitCodeFor } from "./src/cli/exit-codes.js";
import { terminalText } from "./src/cli/terminal-text.js";
import { withFlags } from "./src/cli/flag-names.js";
import { ensureWorkflowError } from "./src/model/errors.js";
import { LogLevel } from "./utils/log-level.js";
import { tracingRequested } from "./src/telemetry/tracing-env.js";

// Only light modules are imported above: `--help` and `--version` are answered before the engine (LangGraph,
// langchain, zod, the actions' clients) loads. A run or a `runs` command imports what it needs when it starts.

// Everything the CLI prints passes terminalText: results, errors, goals and ids may hold a server's escape codes.
const out = (text: string) => process.stdout.write(`${terminalText(text)}\n`);
// Errors and progress name the engine's settings as the API spells them; a person here sets them with flags.
const err = (text: string) => process.stderr.write(`${terminalText(withFlags(text))}\n`);

function logLevel(level: string): LogLevel {
  return (LogLevel as readonly string[]).includes(level) ? (level as LogLevel) : "warn";
}

/** The engine `runs` and `schedules` work on; its modules load only when a command needs them. */
async function openEngine(flags: { workspace: string; logLevel: string; leaseSeconds?: number; executor?: "in-process" | "queue" }) {
  const [{ WorkflowEngine }, { createLogger }, { SecretScrubber }] = await Promise.all([
    import("./src/engine/workflow-engine.js"),
    import("./utils/logger.js"),
    import("./src/safety/secrets/scrubber.js"),
  ]);
  return new WorkflowEngine({
    workspace: flags.workspace,
    logger: createLogger(logLevel(flags.logLevel), SecretScrubber.fromEnv(process.env)),
    ...(flags.leaseSeconds === undefined ? {} : { leaseSeconds: flags.leaseSeconds }),
    ...(flags.executor ? { executor: flags.executor } : {}),
  });
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === "runs") {
    const { runsCommand } = await import("./src/cli/runs-command.js");
    return runsCommand(argv.slice(1), { out, err, engine: openEngine });
  }
  if (argv[0] === "schedules") {
    const { schedulesCommand } = await import("./src/cli/schedules-command.js");
    return schedulesCommand(argv.slice(1), { out, err, engine: openEngine });
  }
  if (argv[0] === "workflows") {
    const { workflowsCommand } = await import("./src/cli/workflows-command.js");
    return workflowsCommand(argv.slice(1), { out, err, engine: openEngine });
  }
  if (argv[0] === "worker") {
    const { workerCommand } = await import("./src/cli/worker-command.js");
    return workerCommand(argv.slice(1), { out, err });
  }
  if (argv[0] === "serve") {
    const { serveCommand } = await import("./src/cli/serve-command.js");
    return serveCommand(argv.slice(1), { out, err });
  }
  const flags = await readFlags(argv);
  if (flags === "help") return 0;
  const { runCommand } = await import("./src/cli/run-command.js");
  return runCommand(flags, { out, err });
}

// The OpenTelemetry SDK loads only when the OTEL_* variables ask for traces (README "Observability").
const tracing = tracingRequested(process.env)
  ? await import("./src/telemetry/tracing-sdk.js").then((t) =>
      t.startTracing(process.env, process.argv[2] === "worker" ? "workflow-worker" : "workflow-engine"),
    )
  : undefined;
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  const e = ensureWorkflowError(error);
  err(`Error [${e.code}]: ${e.message}`);
  process.exitCode = exitCodeFor(e);
} finally {
  await tracing?.shutdown().catch(() => undefined);
}
