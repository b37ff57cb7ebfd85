import jsonata from "jsonata";
import { CancelledError, ErrorCode, WorkflowError } from "../../model/errors.js";
import type { ActionHandler } from "../handler.js";
import { compileOperations } from "./compile.js";
import { TransformDataConfig, type TransformDataResult } from "../../model/action-config/transform-data.js";

/** `transform_data`: `operations` (compiled to one JSONata expression), then `expression`, applied to `input`. */
export const transformData = {
  type: "transform_data",
  schema: TransformDataConfig,
  async run(config, ctx): Promise<TransformDataResult> {
    throwIfAborted(ctx.signal);
    let data: unknown = config.input;
    if (config.operations !== undefined && config.operations.length > 0) {
      data = await evaluateExpression(compileOperations(config.operations), data);
      throwIfAborted(ctx.signal);
    }
    if (config.expression !== undefined) {
      data = await evaluateExpression(config.expression, data);
      throwIfAborted(ctx.signal);
    }
    return { data: toPlain(data) };
  },
} satisfies ActionHandler<typeof TransformDataConfig, TransformDataResult>;

/** Evaluate a JSONata expression; parse and evaluation errors become TRANSFORM_ERROR naming the expression. */
export async function evaluateExpression(expression: string, input: unknown): Promise<unknown> {
  try {
    return await jsonata(expression).evaluate(input);
  } catch (err) {
    throw transformError(expression, err);
  }
}

function transformError(expression: string, err: unknown): WorkflowError {
  const info = (typeof err === "object" && err !== null ? err : {}) as { code?: unknown; position?: unknown };
  const reason = err instanceof Error ? err.message : String((err as { message?: unknown })?.message ?? err);
  const where = [
    typeof info.code === "string" ? `JSONata ${info.code}` : undefined,
    typeof info.position === "number" ? `at position ${info.position}` : undefined,
  ].filter(Boolean);
  const shown = expression.length > 600 ? `${expression.slice(0, 600)}…` : expression;
  return new WorkflowError(
    ErrorCode.Transform,
    `The transform failed: ${reason}${where.length ? ` (${where.join(" ")})` : ""}.\n` +
      `Expression:\n${shown}\nFix the expression or operations, or check that the input has the expected shape.`,
    { retryable: false, cause: err, details: { expression, jsonata_code: info.code } },
  );
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
