import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { ErrorCode, WorkflowError, WorkflowValidationError } from "../model/errors.js";
import { WorkflowDefinition } from "../model/workflow-schema.js";
import { inputIssues } from "../model/zod-issues.js";
import { inputGuardIssues } from "../plan/input-guard.js";

/** A workflow file larger than this is refused before it is parsed. */
const MAX_WORKFLOW_FILE_BYTES = 1024 * 1024;
const EXTENSIONS = /\.(ya?ml|json)$/i;

/** A definition parsed from text (YAML, of which JSON is a part), checked against the schema; `source` names it in errors. */
export function parseWorkflowText(text: string, source: string): WorkflowDefinition {
  if (Buffer.byteLength(text) > MAX_WORKFLOW_FILE_BYTES) {
    throw new WorkflowError(
      ErrorCode.WorkflowInvalid,
      `${source} is larger than ${MAX_WORKFLOW_FILE_BYTES} bytes; a workflow file is at most 1 MiB.`,
    );
  }
  let raw: unknown;
  try {
    // maxAliasCount bounds YAML alias expansion (a "billion laughs" file).
    raw = parseYaml(text, { maxAliasCount: 100, uniqueKeys: true });
  } catch (err) {
    throw new WorkflowError(ErrorCode.WorkflowInvalid, `${source} is not valid YAML or JSON: ${(err as Error).message}`, { cause: err });
  }
  return parseWorkflowValue(raw, source);
}

/** A definition from a parsed value (the API's `library.add(object)`). */
export function parseWorkflowValue(raw: unknown, source: string): WorkflowDefinition {
  const guarded = inputGuardIssues(raw);
  if (guarded.length) throw new WorkflowValidationError(`The workflow ${source}`, guarded);
  const parsed = WorkflowDefinition.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new WorkflowValidationError(`The workflow ${source}`, inputIssues(parsed.error, ""));
  return parsed.data;
}

/** Read and parse a workflow file. */
export function readWorkflowFile(file: string): WorkflowDefinition {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (err) {
    throw new WorkflowError(ErrorCode.FileNotFound, `Cannot read the workflow file ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (size > MAX_WORKFLOW_FILE_BYTES) {
    throw new WorkflowError(ErrorCode.WorkflowInvalid, `${file} is ${size} bytes; a workflow file is at most 1 MiB.`);
  }
  return parseWorkflowText(readFileSync(file, "utf8"), file);
}

/** The workflow files of a folder (`*.yaml`, `*.yml`, `*.json`), sorted; none when it does not exist. */
export function workflowFilesIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => EXTENSIONS.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

/**
 * The package's own `workflows/` folder (the prebuilt workflows). The module runs from dist/src/engine (tsc),
 * dist/cli (the CLI bundle) or src/engine (tsx): the package root, found by its package.json, is the common point.
 */
export function packageWorkflowsDir(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "agentic-workflow-engine") {
      return path.join(dir, "workflows");
    }
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}
