import { readFileSync } from "node:fs";
import { ErrorCode, WorkflowError } from "../model/errors.js";

/** Read a plan file (JSON, or YAML for .yaml/.yml); unreadable or malformed files are CONFIG_INVALID. */
export async function loadPlanFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new WorkflowError(ErrorCode.ConfigInvalid, `Cannot read the plan file "${file}": ${(err as Error).message}.`);
  }
  const yaml = /\.ya?ml$/i.test(file);
  // The YAML parser loads only for a YAML file. yaml is CommonJS: its module is `default` (named exports are
  // missing when the CLI bundle splits it into a chunk of its own).
  const parseYaml = yaml ? (await import("yaml")).default.parse : undefined;
  try {
    return parseYaml ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    const kind = yaml ? "YAML" : "JSON";
    throw new WorkflowError(
      ErrorCode.PlanInvalid,
      `The plan file "${file}" is not valid ${kind}: ${(err as Error).message}. Fix it (or use a .yaml name for YAML).`,
    );
  }
}
