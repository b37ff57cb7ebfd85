import { ErrorCode, WorkflowError } from "../model/errors.js";
import type { WorkflowDefinition } from "../model/workflow-schema.js";
import { coerceInput } from "../plan/workflow-inputs.js";

/**
 * `--input name=value` pairs as a workflow's inputs: each value read as the type the workflow declares for it
 * (text for strings; JSON for numbers, booleans, arrays and objects). The engine then checks them all.
 */
export function parseInputFlags(pairs: readonly string[], def: WorkflowDefinition): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const name = eq > 0 ? pair.slice(0, eq) : "";
    if (!/^[A-Za-z_]\w*$/.test(name)) {
      throw new WorkflowError(ErrorCode.ConfigInvalid, `--input "${pair}" is not name=value (a name is letters, digits and _).`);
    }
    const value = coerceInput(def.inputs[name], pair.slice(eq + 1));
    Object.defineProperty(inputs, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return inputs;
}
