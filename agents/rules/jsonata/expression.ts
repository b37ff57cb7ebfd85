import { jsonata } from "../../../utils/jsonata.js";
import { describeOp, type ListOp } from "../list-ops.js";
import { compileOp } from "./compile-op.js";
import { prelude } from "./prelude.js";

/**
 * The JSONata expression a transform task runs for these operations, in order. It opens with a
 * comment saying what it does, then the helpers, then one statement per operation.
 */
export function transformExpression(ops: readonly ListOp[]): string {
  const said = ops.map(describeOp).join(", then ").replace(/\*\//g, "* /");
  const steps = ops.map((op, i) => `  $s${i + 1} := ${compileOp(op, `$s${i}`)};`);
  const helpers = prelude(steps.join("\n")).map((p) => `  ${p};`);
  return ["(", `  /* ${said} */`, ...helpers, "  $s0 := $;", ...steps, `  $s${ops.length}`, ")"].join("\n");
}

/** Why a JSONata expression written in a goal ("add a field total = likes * 2") does not parse, if it does not. */
export function jsonataProblem(expression: string): string | undefined {
  try {
    jsonata(expression);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
