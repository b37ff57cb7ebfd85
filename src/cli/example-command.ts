import { EXAMPLES, type Example, ExampleName, getExample } from "../../workflows/index.js";
import { type DemoApi, startDemoApi } from "../demo/demo-api.js";
import type { WorkflowResult } from "../engine/result.js";
import type { WorkflowEngine } from "../engine/workflow-engine.js";
import { ErrorCode, ensureWorkflowError } from "../model/errors.js";
import { hostOf } from "../safety/network/trusted-hosts.js";
import { type CliOptions, parseVariables } from "./args.js";
import { exitCodeForStatus } from "./exit-codes.js";
import { engineFromOptions, printDryRun, printResult } from "./print-run.js";
import { createProgress } from "./progress.js";

export interface ExampleIo {
  out(text: string): void;
  err(text: string): void;
}

/** Shown for the demo API in a --dry-run without --source: its port is only chosen when it starts. */
const DRY_RUN_BASE_URL = "http://127.0.0.1:0";

/**
 * `--example [NAME]`: without a name, list the examples; with one, run it against the built-in demo API (started
 * on loopback for the run) or against `--source`, with the CLI's engine options, and print the usual summary.
 */
export async function exampleCommand(options: CliOptions, io: ExampleIo): Promise<number> {
  const name = options.example?.trim() ?? "";
  if (name === "") return listExamples(io, options.json);
  const example = getExample(name);
  if (options.dryRun) return dryRun(name, example, options, io);
  const variables = parseVariables(options.var);
  const chatty = !options.quiet && !options.json;
  const progress = await createProgress({ quiet: options.quiet, json: options.json, plain: options.plain, logLevel: options.logLevel });
  let demo: DemoApi | undefined;
  let engine: WorkflowEngine | undefined;
  try {
    demo = options.source === undefined ? await startDemoApi() : undefined;
    if (demo && chatty) io.err(`demo API listening on ${demo.url}`);
    const baseUrl = options.source ?? (demo as DemoApi).url;
    // The user chose this API (the demo on loopback, or --source): trust its host, which may be local or private.
    const host = hostOf(baseUrl);
    engine = engineFromOptions(
      { ...options, allowHost: host ? [...options.allowHost, host] : options.allowHost },
      progress.onEvent,
      progress.onNotice,
    );
    const runOptions = { variables, ...(options.runId ? { runId: options.runId } : {}) };
    const running = engine;
    const result = await example.run(running, baseUrl, runOptions).catch((error: unknown) => shownAgain(running, options, io, error));
    progress.finish(result);
    if (chatty) for (const line of writtenFiles(result)) io.err(line);
    printResult(result, options, io);
    return exitCodeForStatus(result.status);
  } finally {
    progress.finish();
    try {
      await engine?.close();
    } finally {
      await demo?.close();
    }
  }
}

/** One line per example: its name and what it does (with --json, one JSON array). */
function listExamples(io: ExampleIo, json: boolean): number {
  if (json) {
    io.out(JSON.stringify(ExampleName.map((name) => ({ name, description: EXAMPLES[name].description }))));
    return 0;
  }
  const width = Math.max(...ExampleName.map((n) => n.length));
  for (const name of ExampleName) io.out(`${name.padEnd(width)}  ${EXAMPLES[name].description}`);
  io.err("Run one with --example NAME (it starts a demo API on 127.0.0.1 unless --source URL is given).");
  return 0;
}

/** Print the example's plan (its library workflow's, compiled) and graph, as --dry-run does for a goal; nothing starts or runs. */
async function dryRun(name: string, example: Example, options: CliOptions, io: ExampleIo): Promise<number> {
  const engine = engineFromOptions(
    { ...options, persist: false },
    () => undefined,
    () => undefined,
  );
  const plan = await engine
    .plan({ workflow: name, inputs: example.inputs(options.source ?? DRY_RUN_BASE_URL) }, parseVariables(options.var))
    .finally(() => engine.close());
  const note =
    options.source === undefined ? `  (the demo API is shown as ${DRY_RUN_BASE_URL}; a run starts it on a free port)` : undefined;
  printDryRun(plan, options, io, note);
  return 0;
}

/** As for --goal and --plan: a --run-id that already finished is shown, not run again. */
async function shownAgain(engine: WorkflowEngine, options: CliOptions, io: ExampleIo, error: unknown): Promise<WorkflowResult> {
  const e = ensureWorkflowError(error);
  if (e.code !== ErrorCode.RunFinished || !options.runId) throw e;
  io.err(e.message);
  return (await engine.getRun(options.runId)).result;
}

/** "wrote PATH (N bytes)" for every file the run wrote, relative to the workspace. */
function writtenFiles(result: WorkflowResult): string[] {
  return result.tasks.flatMap((t) => {
    const r = t.result as { path?: unknown; bytes_written?: unknown } | undefined;
    return t.status === "completed" && typeof r?.path === "string" && typeof r.bytes_written === "number"
      ? [`wrote ${r.path} (${r.bytes_written} bytes)`]
      : [];
  });
}
