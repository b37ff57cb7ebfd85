import { jsonata } from "../../../utils/jsonata.js";
import { ErrorCode, WorkflowError } from "../../model/errors.js";
import { depthLimit, type EvaluationBounds, EvaluationBudget, valueLimit } from "./budget.js";

export type { EvaluationBounds } from "./budget.js";

/** JSONata's evaluation-exit hook: called with every step's result. */
const EXIT_HOOK = Symbol.for("jsonata.__evaluate_exit");
/** The variable that carries an evaluation's token (a frozen empty object: the expression can read nothing from it). */
const TOKEN_VARIABLE = "__wfe_budget";
/** Where a budget is kept on JSONata's per-evaluation root frame once found. */
const BUDGET = Symbol("wfe.budget");
/**
 * Nesting of evaluation steps: each level keeps a few KiB alive, so unbounded recursion would exhaust the heap
 * long before a step or time limit. 10,000 levels is some 2,000 calls of a recursive function.
 */
const MAX_DEPTH = 10_000;
/** Texts whose compiled expressions are kept; the least recently used goes first. */
const CACHE_SIZE = 256;

type Expression = ReturnType<typeof jsonata>;
interface Frame {
  base: Frame & { [BUDGET]?: EvaluationBudget };
  lookup(name: string): unknown;
}
interface JsonataFunction {
  implementation: (this: { environment: Frame }, ...args: unknown[]) => unknown;
}

const budgets = new WeakMap<object, EvaluationBudget>();

/**
 * Evaluate a JSONata expression within bounds: time (`timeoutMs`, and the signal), estimated allocation
 * (`maxBytes`) and nesting depth, each ending the evaluation with TRANSFORM_LIMIT; the event loop turns every few
 * ms meanwhile. Parse and evaluation errors become TRANSFORM_ERROR naming the expression.
 */
export async function evaluateExpression(expression: string, input: unknown, bounds: EvaluationBounds): Promise<unknown> {
  const budget = new EvaluationBudget(bounds, expression);
  const token = Object.freeze({});
  budgets.set(token, budget);
  let lease: Lease | undefined;
  try {
    lease = await compiled(expression);
    const result = await lease.expression.evaluate(input, { [TOKEN_VARIABLE]: token });
    if (budget.tripped) throw budget.tripped;
    return result;
  } catch (err) {
    // A bound crossed is the outcome, even if JSONata caught and wrapped it (`$eval` does).
    throw budget.tripped ?? toTransformError(expression, err);
  } finally {
    lease?.release();
  }
}

/** The budget of the evaluation a JSONata frame belongs to; none found is a bug, and fails closed. */
function budgetOf(frame: Frame): EvaluationBudget {
  const root = frame.base;
  let budget = root[BUDGET];
  if (!budget) {
    // The root frame's own binding: an expression can shadow the variable in inner frames, not there.
    const token = root.lookup(TOKEN_VARIABLE);
    budget = typeof token === "object" && token !== null ? budgets.get(token) : undefined;
    if (!budget) throw new WorkflowError(ErrorCode.Internal, "a JSONata evaluation ran without its budget");
    root[BUDGET] = budget;
  }
  return budget;
}

interface Lease {
  expression: Expression;
  release(): void;
}

/** Compiled expressions kept free per text, for tasks evaluating the same expression at once. */
const POOL_SIZE = 64;

/**
 * Free compiled expressions by text, most recently used text last. JSONata keeps `$now()`'s timestamp per
 * compiled expression, so one is lent to one evaluation at a time; concurrent evaluations of one text each get
 * their own, and give it back to the pool after.
 */
const cache = new Map<string, Expression[]>();

/** A compiled expression for `text`: a free one from the pool, else a new one (which joins the pool when released). */
async function compiled(text: string): Promise<Lease> {
  let pool = cache.get(text);
  if (pool) {
    cache.delete(text);
    cache.set(text, pool);
  }
  const expression = pool?.pop() ?? (await compile(text));
  return {
    expression,
    release: () => {
      pool = cache.get(text);
      if (!pool) {
        pool = [];
        cache.set(text, pool);
        if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      }
      if (pool.length < POOL_SIZE) pool.push(expression);
    },
  };
}

/** Parse `text` and bind the hooks: the step budget, and the builtins that could allocate without bound in one step. */
async function compile(text: string): Promise<Expression> {
  const expression = jsonata(text, { stack: MAX_DEPTH });
  const bind = expression.assign as (name: string | symbol, value: unknown) => void;
  bind(EXIT_HOOK, (node: { type: string }, _input: unknown, frame: Frame, result: unknown) => budgetOf(frame).step(node.type, result));
  const builtins = await originalBuiltins();
  for (const [name, { signature, predict }] of Object.entries(GUARDED)) {
    const original = builtins[name as keyof typeof GUARDED];
    const charge = predict as (...args: unknown[]) => number;
    function guarded(this: { environment: Frame }, ...args: unknown[]): unknown {
      budgetOf(this.environment).charge(charge(...args));
      return original.implementation.apply(this, args);
    }
    expression.registerFunction(name, guarded as (this: unknown, ...args: unknown[]) => unknown, signature);
  }
  return expression;
}

/**
 * Builtins whose result can be far larger than their arguments in a single step, which no after-the-fact count
 * could stop: each is charged its predicted size before it runs.
 */
const GUARDED = {
  pad: { signature: "<s-ns?:s>", predict: (str: unknown, width: unknown) => Math.max(length(str), Math.abs(Number(width))) },
  join: {
    signature: "<a<s>s?:s>",
    predict: (strs: unknown, separator: unknown) => {
      const items = Array.isArray(strs) ? (strs as unknown[]) : [strs];
      return items.reduce<number>((sum, s) => sum + length(s), 0) + Math.max(0, items.length - 1) * length(separator);
    },
  },
  replace: { signature: "<s-(sf)(sf)n?:s>", predict: predictReplace },
} as const;

/**
 * An upper bound of `$replace`'s result: the string, plus the replacement text per match, plus each `$n` in it
 * expanding to at most the matched text (matches do not overlap, so all of them add up to the string at most).
 * A function replacement's results are counted as they are made.
 */
function predictReplace(str: unknown, pattern: unknown, replacement: unknown, limit: unknown): number {
  const text = typeof str === "string" ? str : "";
  if (typeof replacement !== "string") return text.length;
  const cap = typeof limit === "number" ? limit : Number.POSITIVE_INFINITY;
  const matches = Math.min(cap, typeof pattern === "string" ? occurrences(text, pattern) : text.length);
  const references = replacement.split("$").length - 1;
  return text.length + matches * replacement.length + references * text.length;
}

function occurrences(text: string, pattern: string): number {
  if (pattern === "") return 0;
  let count = 0;
  for (let at = text.indexOf(pattern); at !== -1; at = text.indexOf(pattern, at + pattern.length)) count++;
  return count;
}

function length(value: unknown): number {
  return typeof value === "string" ? value.length : 0;
}

let builtinsOnce: Promise<Record<keyof typeof GUARDED, JsonataFunction>> | undefined;

/** JSONata's own `$pad`, `$join` and `$replace`, which the guarded versions call. */
function originalBuiltins(): Promise<Record<keyof typeof GUARDED, JsonataFunction>> {
  builtinsOnce ??= jsonata(`{"pad": $pad, "join": $join, "replace": $replace}`).evaluate(null) as Promise<
    Record<keyof typeof GUARDED, JsonataFunction>
  >;
  return builtinsOnce;
}

/** JSONata's errors (plain objects with a code) and V8's as TRANSFORM_ERROR, or TRANSFORM_LIMIT for exhaustion. */
function toTransformError(expression: string, err: unknown): WorkflowError {
  if (err instanceof WorkflowError) return err;
  const info = (typeof err === "object" && err !== null ? err : {}) as { code?: unknown; position?: unknown };
  const reason = err instanceof Error ? err.message : String((err as { message?: unknown })?.message ?? err);
  if (info.code === "D1011" || /Maximum call stack size exceeded/.test(reason)) return depthLimit(MAX_DEPTH, expression, err);
  if (err instanceof RangeError && /Invalid (string|array|typed array) length/.test(reason)) {
    return valueLimit(reason, expression, err);
  }
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
