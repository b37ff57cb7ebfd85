import { z } from "zod";
import {
  ErrorCode,
  HttpMethodField,
  TASK_ID,
  WorkflowError,
  type PlanInput,
  type RunOptions,
  type TaskSpecInput,
  type WorkflowEngine,
  type WorkflowResult,
} from "../src/index.js";

/** The task that stores every call's answer; no call may take its name. */
export const SAVE_TASK_ID = "save_results";

export const OrchestrationStrategy = ["sequential", "parallel"] as const;
export type OrchestrationStrategy = (typeof OrchestrationStrategy)[number];

/**
 * One call. `url`, `headers` and `body` may read earlier calls' answers: `{{login.data.token}}` is the `token`
 * field of the body the call named `login` got back (and makes this call depend on it).
 */
export const ApiCallSpec = z.strictObject({
  name: z.string().regex(TASK_ID, "a name is letters, digits, _ and -, starting with a letter or _ (max 64)"),
  method: HttpMethodField,
  url: z.string().min(1, "url is required"),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.unknown().optional(),
  /** Names of calls that must answer first (a string for one). */
  depends_on: z.union([z.string(), z.array(z.string())]).optional(),
});
export type ApiCallSpec = z.input<typeof ApiCallSpec>;

/** The api_orchestration's input. */
export const ApiOrchestrationInput = z
  .strictObject({
    apiCalls: z.array(ApiCallSpec).min(1, "give at least one call"),
    /** sequential: each call waits for the one before it; parallel: calls wait only for what they depend on. */
    strategy: z.enum(OrchestrationStrategy).default("parallel"),
    /** Where every call's `{status, data}` is written, keyed by name (relative to the workspace). */
    outputPath: z.string().min(1).default("output/api_orchestration.json"),
  })
  .superRefine((input, ctx) => {
    const seen = new Set<string>();
    for (const [i, call] of input.apiCalls.entries()) {
      if (call.name === SAVE_TASK_ID)
        ctx.addIssue({ code: "custom", path: ["apiCalls", i, "name"], message: `"${SAVE_TASK_ID}" is reserved` });
      if (seen.has(call.name)) ctx.addIssue({ code: "custom", path: ["apiCalls", i, "name"], message: `"${call.name}" is used twice` });
      seen.add(call.name);
    }
    for (const [i, call] of input.apiCalls.entries()) {
      for (const dep of list(call.depends_on)) {
        if (!seen.has(dep)) {
          const names = [...seen].join(", ");
          ctx.addIssue({ code: "custom", path: ["apiCalls", i, "depends_on"], message: `"${dep}" is not a call (the calls: ${names})` });
        }
      }
    }
  });
export type ApiOrchestrationInput = z.input<typeof ApiOrchestrationInput>;

/** One api_call task per call (sequential: chained in order), then one task that writes every answer. */
export function apiOrchestrationPlan(input: ApiOrchestrationInput): PlanInput {
  const cfg = parse(input);
  const tasks: TaskSpecInput[] = cfg.apiCalls.map((call, i) => {
    const previous = cfg.strategy === "sequential" && i > 0 ? [cfg.apiCalls[i - 1]?.name ?? ""] : [];
    const dependencies = [...new Set([...previous, ...list(call.depends_on)])];
    return {
      id: call.name,
      name: `${call.method} ${call.url}`,
      action_type: "api_call",
      action_config: {
        method: call.method,
        url: call.url,
        ...(call.headers ? { headers: call.headers } : {}),
        ...(call.body === undefined ? {} : { body: call.body }),
      },
      dependencies,
    };
  });
  const answers = Object.fromEntries(cfg.apiCalls.map((c) => [c.name, { status: `{{${c.name}.status}}`, data: `{{${c.name}.data}}` }]));
  tasks.push({
    id: SAVE_TASK_ID,
    name: `Write every answer to ${cfg.outputPath}`,
    action_type: "file_operation",
    action_config: { operation: "write", path: cfg.outputPath, content: { strategy: cfg.strategy, results: answers } },
  });
  return { goal: `API orchestration (${cfg.strategy}): ${cfg.apiCalls.map((c) => c.name).join(", ")}`, tasks };
}

/** Build the api_orchestration plan and run it on `engine`; resolves with the result whatever its status. */
export async function runApiOrchestration(
  engine: WorkflowEngine,
  input: ApiOrchestrationInput,
  options: RunOptions = {},
): Promise<WorkflowResult> {
  return engine.run(apiOrchestrationPlan(input), options);
}

/** The same as a class, for callers that keep one engine. */
export class ApiOrchestration {
  constructor(private readonly engine: WorkflowEngine) {}

  /** Run the calls with `input`. */
  run(input: ApiOrchestrationInput, options: RunOptions = {}): Promise<WorkflowResult> {
    return runApiOrchestration(this.engine, input, options);
  }
}

function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : typeof value === "string" ? [value] : value;
}

function parse(input: ApiOrchestrationInput): z.output<typeof ApiOrchestrationInput> {
  const parsed = ApiOrchestrationInput.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; ");
  throw new WorkflowError(ErrorCode.ConfigInvalid, `api_orchestration: invalid input: ${problems}.`, {
    details: { workflow: "api_orchestration" },
  });
}
