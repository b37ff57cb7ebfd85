import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { formatSummary } from "./output.js";
import type { RunMetrics, WorkflowResult } from "../engine/result.js";
import type { RunStatus } from "../model/task-state.js";

/** A run's figures as data: its id and status with the run metrics. */
export interface MetricsReport extends RunMetrics {
  workflow_id: string;
  status: RunStatus;
}

/** The figures of a finished run (what the CLI summary prints), as a new plain object. */
export function getMetrics(result: WorkflowResult): MetricsReport {
  return { workflow_id: result.workflow_id, status: result.status, ...result.metrics };
}

/**
 * Write the whole result as pretty JSON to `file`, atomically: a temporary file beside it, then a rename,
 * so a reader never sees half a file. Parent folders are created. Returns the absolute path written.
 */
export async function saveState(result: WorkflowResult, file: string): Promise<string> {
  const target = path.resolve(file);
  await mkdir(path.dirname(target), { recursive: true });
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await writeFile(temp, `${JSON.stringify(result, null, 2)}\n`, { encoding: "utf8", flag: "wx" });
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return target;
}

/** A stream printSummary can write to: process.stdout, process.stderr or any Writable. */
export interface TextSink {
  write(chunk: string): unknown;
}

/** Write the run's readable summary (status, counts, retries, times, speedup, LLM use, plan cache, tasks). */
export function printSummary(result: WorkflowResult, stream: TextSink = process.stdout): void {
  stream.write(`${formatSummary(result)}\n`);
}
