import { CancelledError } from "../../model/errors.js";
import type { Limits } from "../../model/safety-policy.js";
import type { ActionHandler } from "../handler.js";
import { compileOperations } from "./compile.js";
import { type EvaluationBounds, evaluateExpression } from "./evaluate.js";
import { TransformDataConfig, type TransformDataResult } from "../../model/action-config/transform-data.js";

/**
 * `transform_data`: `operations` (compiled to one JSONata expression), then `expression`, applied to `input`,
 * each evaluation bounded in time and memory (TRANSFORM_LIMIT; see evaluate.ts).
 */
export const transformData = {
  type: "transform_data",
  schema: TransformDataConfig,
  async run(config, ctx): Promise<TransformDataResult> {
    throwIfAborted(ctx.signal);
    const bounds = evaluationBounds(ctx.safety.limits, ctx.signal);
    let data: unknown = config.input;
    // A reference is resolved before the action runs (and the config checked again): only a list reaches here.
    if (Array.isArray(config.operations) && config.operations.length > 0) {
      data = await evaluateExpression(compileOperations(config.operations), data, bounds);
      throwIfAborted(ctx.signal);
    }
    if (config.expression !== undefined) {
      data = await evaluateExpression(config.expression, data, bounds);
      throwIfAborted(ctx.signal);
    }
    return { data: toPlain(data) };
  },
} satisfies ActionHandler<typeof TransformDataConfig, TransformDataResult>;

/** The bounds of a run's JSONata evaluations (transform_data, api_call `until`). */
export function evaluationBounds(limits: Limits, signal: AbortSignal): EvaluationBounds {
  return { timeoutMs: limits.transformTimeoutSeconds * 1000, maxBytes: limits.maxTransformBytes, signal };
}

/**
 * JSONata results can carry sequence markers and `undefined`; the result is stored in run state,
 * so make it plain JSON (nothing → null).
 */
function toPlain(value: unknown): unknown {
  if (value === undefined) return null;
  const json = JSON.stringify(value);
  return json === undefined ? null : JSON.parse(json);
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new CancelledError("transform_data was cancelled");
}
