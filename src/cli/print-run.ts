import { withFlags } from "./flag-names.js";
import type { WorkflowResult } from "../engine/result.js";
import { WorkflowEngine } from "../engine/workflow-engine.js";
import { renderGraph, toLevels, toMermaid } from "../plan/plan-graph.js";
import type { Plan } from "../model/plan-schema.js";
import { createLogger } from "../../utils/logger.js";
import { type CliOptions, safetyFromOptions } from "./args.js";
import type { EventListener } from "../model/events.js";
import { formatSummary, printable, toJsonOutput } from "./output.js";
import { SecretScrubber } from "../safety/secrets/scrubber.js";

/** Where the CLI prints; main.ts's out and err pass everything through terminalText, once, at the sink. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

/** The engine the run options describe. */
export function engineFromOptions(options: CliOptions, onEvent: EventListener, onNotice?: (message: string) => void): WorkflowEngine {
  return new WorkflowEngine({
    workspace: options.workspace,
    concurrency: options.concurrency,
    planner: options.planner,
    logger: createLogger(options.logLevel, SecretScrubber.fromEnv(process.env)),
    planCache: options.cache,
    ...(options.leaseSeconds === undefined ? {} : { leaseSeconds: options.leaseSeconds }),
    ...(options.executor ? { executor: options.executor } : {}),
    ...safetyFromOptions(options),
    ...(options.persist ? {} : { persist: "memory" as const }),
    onEvent,
    ...(onNotice ? { onNotice } : {}),
  });
}

/** `--dry-run`: the plan as JSON on stdout (or only its graph with --graph), the outline on stderr. */
export function printDryRun(given: Plan, options: CliOptions, io: CliIo, note?: string): void {
  // Secrets written in the plan are not printed either: pass them as {{env.NAME}}.
  const plan = printable(given, SecretScrubber.fromEnv(process.env).learnFrom(given));
  if (options.json) {
    io.out(JSON.stringify({ plan, graph: renderGraph(options.graph ?? "mermaid", plan) }));
    return;
  }
  if (options.graph) {
    io.out(renderGraph(options.graph, plan));
    return;
  }
  io.err(`Plan: ${plan.tasks.length} tasks; nothing was run (--dry-run).`);
  if (note) io.err(note);
  for (const [i, ids] of toLevels(plan).entries()) io.err(`  step ${i + 1}: ${ids.join(", ")}`);
  io.err(toMermaid(plan));
  io.out(JSON.stringify(plan, null, 2));
}

/** The result: the summary (or one JSON object), then with --graph the DAG coloured by status. */
export function printResult(result: WorkflowResult, options: CliOptions, io: CliIo): void {
  const statuses = Object.fromEntries(result.tasks.map((t) => [t.id, t.status]));
  const graph = options.graph ? renderGraph(options.graph, { tasks: result.tasks }, statuses) : undefined;
  if (options.json) {
    io.out(JSON.stringify({ ...toJsonOutput(result), ...(graph ? { graph } : {}) }));
    return;
  }
  io.out(withFlags(formatSummary(result)));
  if (graph) io.out(`\n${graph}`);
}
