import { askUntilDecided, canAsk } from "./approval-prompt.js";
import { checkFlags, parseVariables } from "./args.js";
import type { Flags } from "./cli-flags.js";
import { exampleCommand } from "./example-command.js";
import { exitCodeForStatus } from "./exit-codes.js";
import { onInterrupt } from "./interrupt.js";
import { loadPlanFile } from "./load-plan.js";
import { engineFromOptions, printDryRun, printResult } from "./print-run.js";
import { createProgress } from "./progress.js";
import { checkSameInput } from "./run-id-reuse.js";
import { waitOption } from "./runs-command.js";
import { newRunId } from "../engine/workflow-engine.js";
import { ErrorCode, ensureWorkflowError } from "../model/errors.js";
import type { PlanInput } from "../model/plan-schema.js";
import type { WorkflowEngine } from "../engine/workflow-engine.js";
import { isWorkflowCall, type WorkflowCall } from "../engine/workflow-library.js";
import { parseWorkflowRef } from "../model/workflow-schema.js";
import type { CliOptions } from "./args.js";
import { parseInputFlags } from "./workflow-input-flags.js";

/** Where the CLI prints: main.ts's sinks, which make the text safe for a terminal. */
export interface CliSinks {
  out(text: string): void;
  err(text: string): void;
}

/**
 * `node main.js --goal ... | --plan FILE | --example NAME`: check the flags readFlags read, then plan and run.
 * main.ts imports this module only once the flags ask for a run, so `--help` never loads the engine.
 */
export async function runCommand(flags: Flags, io: CliSinks): Promise<number> {
  const { out, err } = io;
  const options = checkFlags(flags);
  if (options.example !== undefined) return exampleCommand(options, { out, err });
  const variables = parseVariables(options.var);
  const progress = await createProgress({ quiet: options.quiet, json: options.json, plain: options.plain, logLevel: options.logLevel });
  const engine = engineFromOptions(options, progress.onEvent, progress.onNotice);
  try {
    // A plan file is checked by the engine's one plan entry (src/plan/plan-entry.ts), like any plan.
    const input = await inputOf(options, engine);
    if (options.dryRun) {
      printDryRun(await engine.plan(input, variables), options, { out, err });
      return 0;
    }
    const runId = options.runId ?? newRunId();
    const stopInterrupt = onInterrupt(() => {
      progress.finish();
      err(`\nInterrupted: run ${runId} stopped where it was; what completed is kept.\nContinue it with: node main.js runs resume ${runId}`);
    });
    const first = await engine
      .run(input, { variables, runId, ...waitOption(options.wait), ...(options.rollback ? { rollback: true } : {}) })
      .finally(stopInterrupt);
    const result = first.status === "awaiting_approval" && canAsk() ? await askUntilDecided(engine, first, err) : first;
    progress.finish(result);
    printResult(result, options, { out, err });
    return exitCodeForStatus(result.status);
  } catch (error) {
    progress.finish();
    const e = ensureWorkflowError(error);
    if (e.code !== ErrorCode.RunFinished || !options.runId) throw e;
    // Running a finished id again with the same input is not an error: say so and show the stored result.
    const again = await inputOf(options, engine);
    await checkSameInput(engine, options.runId, isWorkflowCall(again) ? await engine.plan(again) : again, variables);
    err(e.message);
    const { result } = await engine.getRun(options.runId);
    printResult(result, options, { out, err });
    return exitCodeForStatus(result.status);
  } finally {
    progress.finish();
    await engine.close();
  }
}

/** What the flags run: a library workflow with its --input values, a plan file, or a goal. */
async function inputOf(options: CliOptions, engine: WorkflowEngine): Promise<string | PlanInput | WorkflowCall> {
  if (options.workflow !== undefined) {
    const { name, version } = parseWorkflowRef(options.workflow);
    const def = await engine.library.get(name, version);
    return { workflow: name, version: def.version, inputs: parseInputFlags(options.input, def) };
  }
  return options.plan === undefined ? (options.goal ?? "") : ((await loadPlanFile(options.plan)) as PlanInput);
}
