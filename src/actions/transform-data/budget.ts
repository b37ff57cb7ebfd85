import { setImmediate as nextTurn } from "node:timers/promises";
import { CancelledError, ErrorCode, WorkflowError } from "../../model/errors.js";

/** The bounds of one JSONata evaluation. */
export interface EvaluationBounds {
  /** Wall time in ms (limits.transformTimeoutSeconds). */
  timeoutMs: number;
  /** Estimated bytes the evaluation may allocate, summed over its steps (limits.maxTransformBytes). */
  maxBytes: number;
  /** Ends the evaluation: the task's timeout, the run's deadline, a cancel. */
  signal: AbortSignal;
}

/** Steps between two looks at the clock and the signal (a look costs a `performance.now()`)... */
const CHECK_EVERY_STEPS = 256;
/** ...or bytes: a step that builds a large value takes long on its own (a range of 10^7 items, a long $pad). */
const CHECK_EVERY_BYTES = 1024 * 1024;
/** How long an evaluation runs before it lets the event loop turn (timers, I/O, other tasks). */
const TURN_EVERY_MS = 10;
/** Evaluation steps whose result is new memory; the others hand back a value that exists already. */
const ALLOCATING = new Set(["path", "binary", "unary", "function", "partial", "apply", "transform", "sort", "wildcard", "descendant"]);

/**
 * What one evaluation has spent: steps, estimated bytes (string characters, 8 per array item, 16 per key of a
 * constructed object) and time. JSONata evaluates asynchronously, step by step, but never lets the event loop
 * turn on its own: the budget does, every few milliseconds, so timers (the task timeout, the run deadline) fire
 * and other tasks go on while a long transform runs. Once over a bound it stays tripped: an expression that
 * catches the error (`$eval` wraps errors) only meets it again at its next step.
 */
export class EvaluationBudget {
  steps = 0;
  bytes = 0;
  tripped: WorkflowError | undefined;
  private readonly started = performance.now();
  private lastTurn = this.started;
  private bytesAtCheck = 0;

  constructor(
    private readonly bounds: EvaluationBounds,
    private readonly expression: string,
  ) {}

  /** Account for one finished step; now and then check the bounds and let the event loop turn. */
  step(type: string, result: unknown): Promise<void> | undefined {
    if (this.tripped) throw this.tripped;
    this.steps++;
    if (ALLOCATING.has(type)) this.charge(estimateBytes(type, result));
    const due = this.steps % CHECK_EVERY_STEPS === 0 || this.bytes - this.bytesAtCheck > CHECK_EVERY_BYTES;
    return due ? this.checkpoint() : undefined;
  }

  /** Count `bytes` about to be (or just) allocated; over the bound, the evaluation ends with TRANSFORM_LIMIT. */
  charge(bytes: number): void {
    if (this.tripped) throw this.tripped;
    this.bytes += bytes;
    if (!(this.bytes <= this.bounds.maxBytes)) throw this.trip(memoryLimit(this.bounds.maxBytes, this.expression));
  }

  /** Check the signal and the time; after TURN_EVERY_MS of work, yield to the event loop once. */
  checkpoint(): Promise<void> | undefined {
    this.bytesAtCheck = this.bytes;
    this.checkTime();
    if (performance.now() - this.lastTurn < TURN_EVERY_MS) return undefined;
    return nextTurn().then(() => {
      this.lastTurn = performance.now();
      this.checkTime();
    });
  }

  private checkTime(): void {
    if (this.tripped) throw this.tripped;
    if (this.bounds.signal.aborted) throw this.trip(new CancelledError("the transform was cancelled"));
    if (performance.now() - this.started > this.bounds.timeoutMs) throw this.trip(timeLimit(this.bounds.timeoutMs, this.expression));
  }

  /** Remember the first bound crossed (it is the evaluation's outcome, whatever JSONata makes of the throw). */
  trip(error: WorkflowError): WorkflowError {
    this.tripped ??= error;
    return this.tripped;
  }
}

function estimateBytes(type: string, result: unknown): number {
  if (typeof result === "string") return result.length;
  if (Array.isArray(result)) return 8 * result.length;
  if (type === "unary" && result !== null && typeof result === "object") return 16 * Object.keys(result).length;
  return 0;
}

/** TRANSFORM_LIMIT: the evaluation ran past limits.transformTimeoutSeconds. */
function timeLimit(timeoutMs: number, expression: string): WorkflowError {
  const seconds = timeoutMs / 1000;
  return limitError(
    `The transform ran longer than its limit of ${seconds} s and was stopped (an expression that recurses ` +
      "without end, or loops over a huge range, never finishes). Fix the expression, or raise the limit " +
      "(limits.transformTimeoutSeconds) if the data really needs longer.",
    expression,
    { limit: "limits.transformTimeoutSeconds", limit_seconds: seconds },
  );
}

/** TRANSFORM_LIMIT: the evaluation allocated more than limits.maxTransformBytes. */
function memoryLimit(maxBytes: number, expression: string): WorkflowError {
  return limitError(
    `The transform allocated more than its limit of ${maxBytes} bytes (${Math.round(maxBytes / 1024 ** 2)} MiB, ` +
      "estimated: string characters and 8 bytes per array item, summed over every step) and was stopped, before it " +
      "could exhaust the process's memory. Fix the expression (a range such as [1..10000000] inside a loop, a huge " +
      "$pad or $join), or raise the limit (limits.maxTransformBytes).",
    expression,
    { limit: "limits.maxTransformBytes", limit_bytes: maxBytes },
  );
}

/** TRANSFORM_LIMIT: nested evaluation deeper than the fixed bound (recursion without a base case). */
export function depthLimit(maxDepth: number, expression: string, cause?: unknown): WorkflowError {
  return limitError(
    `The transform nested deeper than ${maxDepth} evaluation levels (a recursive function without a base case?) ` +
      "and was stopped. This bound is fixed: end the recursion sooner, or write it as a tail call or with $reduce.",
    expression,
    { limit: "max_depth", max_depth: maxDepth },
    cause,
  );
}

/** TRANSFORM_LIMIT: one value (a string, an array) larger than JavaScript can hold. */
export function valueLimit(reason: string, expression: string, cause: unknown): WorkflowError {
  return limitError(
    `The transform tried to build a value larger than JavaScript can hold (${reason}) and was stopped. ` +
      "Fix the expression so that it builds smaller strings and arrays.",
    expression,
    { limit: "value_size" },
    cause,
  );
}

function limitError(message: string, expression: string, details: Record<string, unknown>, cause?: unknown): WorkflowError {
  const shown = expression.length > 300 ? `${expression.slice(0, 300)}…` : expression;
  return new WorkflowError(ErrorCode.TransformLimit, `${message}\nExpression:\n${shown}`, {
    retryable: false,
    ...(cause === undefined ? {} : { cause }),
    details: { ...details, expression: shown },
  });
}
