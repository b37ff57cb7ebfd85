import { evaluateExpression } from "../actions/transform-data/evaluate.js";
import { evaluationBounds } from "../actions/transform-data/run.js";
import { ErrorCode, WorkflowError } from "../model/errors.js";
import type { Limits } from "../model/safety-policy.js";
import type { VerifyRule } from "../model/verify-rule.js";
import { splitUndo } from "../model/file-undo.js";

/** How much of the values an assertion saw a VERIFY_FAILED message shows. */
const SHOWN = 300;

/**
 * Check a task's post-conditions on what its action returned: each `assert` is a JSONata expression over
 * `{result, config, variables}` (bounded like transform_data), and must be exactly `true`. The first that is
 * not fails the attempt with VERIFY_FAILED, naming the rule and the result it saw; retryable, so the failure
 * policy treats it like any other failure (retry, modify, skip or fail).
 */
export async function verifyResult(
  taskId: string,
  rules: readonly VerifyRule[],
  input: { result: unknown; config: unknown; variables: Record<string, unknown> },
  limits: Limits,
  signal: AbortSignal,
): Promise<void> {
  const { result } = splitUndo(input.result);
  for (const [i, rule] of rules.entries()) {
    let value: unknown;
    try {
      value = await evaluateExpression(rule.assert, { ...input, result }, evaluationBounds(limits, signal));
    } catch (err) {
      if (err instanceof WorkflowError && err.code !== ErrorCode.Transform) throw err;
      throw failed(taskId, i, rule, result, `the assertion could not be evaluated: ${(err as Error).message}`);
    }
    if (value !== true) throw failed(taskId, i, rule, result, `it was ${shown(value)}, not true`);
  }
}

function failed(taskId: string, index: number, rule: VerifyRule, result: unknown, why: string): WorkflowError {
  const what = rule.message ?? `verify[${index}] ${rule.assert}`;
  return new WorkflowError(ErrorCode.VerifyFailed, `Task "${taskId}": ${what} (${rule.assert}: ${why}; the result was ${shown(result)}).`, {
    retryable: true,
    details: { verify: index, assert: rule.assert, result: truncated(result) },
  });
}

function shown(value: unknown): string {
  const text = value === undefined ? "nothing" : (JSON.stringify(value) ?? String(value));
  return text.length > SHOWN ? `${text.slice(0, SHOWN - 1)}…` : text;
}

function truncated(value: unknown): unknown {
  const text = JSON.stringify(value) ?? "null";
  return text.length > SHOWN ? `${text.slice(0, SHOWN - 1)}…` : value;
}
