import { parseArgs, parseVariables } from "./src/cli/args.js";
import { askUntilDecided, canAsk } from "./src/cli/approval-prompt.js";
import { exampleCommand } from "./src/cli/example-command.js";
import { loadPlanFile } from "./src/cli/load-plan.js";
import { exitCodeFor, exitCodeForStatus } from "./src/cli/exit-codes.js";
import { engineFromOptions, printDryRun, printResult } from "./src/cli/print-run.js";
import { createProgress } from "./src/cli/progress.js";
import { onInterrupt } from "./src/cli/interrupt.js";
import { checkSameInput } from "./src/cli/run-id-reuse.js";
import { runsCommand, waitOption } from "./src/cli/runs-command.js";
import { newRunId, WorkflowEngine } from "./src/engine/workflow-engine.js";
import { ErrorCode, ensureWorkflowError } from "./src/model/errors.js";
import type { PlanInput } from "./src/model/plan-schema.js";
import { SecretScrubber } from "./src/safety/secrets/scrubber.js";
import { terminalText } from "./src/cli/terminal-text.js";
import { createLogger, LogLevel } from "./utils/logger.js";

// Everything the CLI prints passes terminalText: results, errors, goals and ids may hold a server's escape codes.
const out = (text: string) => process.stdout.write(`${terminalText(text)}\n`);
const err = (text: string) => process.stderr.write(`${terminalText(text)}\n`);

function logLevel(level: string): LogLevel {
  return (LogLevel as readonly string[]).includes(level) ? (level as LogLevel) : "warn";
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === "runs") {
    return runsCommand(argv.slice(1), {
      out,
      err,
      engine: (flags) =>
        new WorkflowEngine({
          workspace: flags.workspace,
          logger: createLogger(logLevel(flags.logLevel), SecretScrubber.fromEnv(process.env)),
          ...(flags.leaseSeconds === undefined ? {} : { leaseSeconds: flags.leaseSeconds }),
        }),
    });
  }
  const options = await parseArgs(argv);
  if (options === "help") return 0;
  if (options.example !== undefined) return exampleCommand(options, { out, err });
  const variables = parseVariables(options.var);
  const progress = createProgress({ quiet: options.quiet, json: options.json, plain: options.plain, logLevel: options.logLevel });
  const engine = engineFromOptions(options, progress.onEvent, progress.onNotice);
  try {
    // A plan file is checked by the engine's one plan entry (src/plan/plan-entry.ts), like any plan.
    const input = options.plan === undefined ? (options.goal ?? "") : (loadPlanFile(options.plan) as PlanInput);
    if (options.dryRun) {
      printDryRun(await engine.plan(input, variables), options, { out, err });
      return 0;
    }
    const runId = options.runId ?? newRunId();
    const stopInterrupt = onInterrupt(() => {
      progress.finish();
      err(`\nInterrupted: run ${runId} stopped where it was; what completed is kept.\nContinue it with: node main.js runs resume ${runId}`);
    });
    const first = await engine.run(input, { variables, runId, ...waitOption(options.wait) }).finally(stopInterrupt);
    const result = first.status === "awaiting_approval" && canAsk() ? await askUntilDecided(engine, first, err) : first;
    progress.finish(result);
    printResult(result, options, { out, err });
    return exitCodeForStatus(result.status);
  } catch (error) {
    progress.finish();
    const e = ensureWorkflowError(error);
    if (e.code !== ErrorCode.RunFinished || !options.runId) throw e;
    // Running a finished id again with the same input is not an error: say so and show the stored result.
    await checkSameInput(
      engine,
      options.runId,
      options.plan === undefined ? (options.goal ?? "") : (loadPlanFile(options.plan) as PlanInput),
      variables,
    );
    err(e.message);
    const { result } = await engine.getRun(options.runId);
    printResult(result, options, { out, err });
    return exitCodeForStatus(result.status);
  } finally {
    progress.finish();
    await engine.close();
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  const e = ensureWorkflowError(error);
  err(`Error [${e.code}]: ${e.message}`);
  process.exitCode = exitCodeFor(e);
}
