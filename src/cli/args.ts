import { inputIssues } from "../model/zod-issues.js";
import { z } from "zod";
import { GraphFormat } from "../plan/plan-graph.js";
import { ErrorCode, WorkflowError } from "../model/errors.js";
import { LogLevel } from "../../utils/log-level.js";
import { ApproveMode } from "../model/approve-mode.js";
import { ExecutorKind } from "../model/executor.js";
import { Limits, type SafetySettingsInput } from "../model/safety-policy.js";
import { camelCase, type Flags, LIMIT_FLAGS, readFlags } from "./cli-flags.js";

/** The CLI's options after parsing, validated by zod. */
export const CliOptions = z
  .object({
    goal: z.string().trim().min(1, "--goal needs some text").optional(),
    plan: z.string().min(1).optional(),
    example: z.string().optional(),
    workflow: z.string().min(1, "--workflow needs NAME or NAME@VERSION").optional(),
    input: z.array(z.string()).default([]),
    source: z.url({ protocol: /^https?$/, error: "--source must be an http(s) URL, e.g. http://127.0.0.1:8080" }).optional(),
    dryRun: z.boolean().default(false),
    rollback: z.boolean().default(false),
    json: z.boolean().default(false),
    quiet: z.boolean().default(false),
    plain: z.boolean().default(false),
    graph: z.enum(GraphFormat).optional(),
    workspace: z.string().min(1).default("."),
    concurrency: z.number().int("--concurrency must be a whole number").min(1, "--concurrency must be at least 1").max(1024).default(8),
    var: z.array(z.string()).default([]),
    planner: z.enum(["auto", "llm", "rules"]).default("auto"),
    logLevel: z.enum(LogLevel).default("warn"),
    runId: z
      .string()
      .regex(/^[\w.:-]{1,128}$/, "--run-id takes letters, digits, . _ : - (max 128)")
      .optional(),
    persist: z.boolean().default(true),
    wait: z.string().optional(),
    leaseSeconds: z.number().min(1, "--lease-seconds must be at least 1").max(3600).optional(),
    cache: z.boolean().default(true),
    executor: z.enum(ExecutorKind).optional(),
    allowHost: z.array(z.string().min(1)).default([]),
    allowWrites: z.boolean().default(false),
    approve: z.enum(ApproveMode).optional(),
    // Limit flags: only "a number" here; their ranges are the Limits schema's (checked in limitsFromFlags).
    ...limitFields(),
  })
  .superRefine((o, ctx) => {
    const sources = [o.goal, o.plan, o.example, o.workflow].filter((v) => v !== undefined).length;
    if (sources !== 1) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message: 'give exactly one of --goal "...", --plan FILE, --example NAME or --workflow NAME',
      });
    }
    if (o.input.length > 0 && o.workflow === undefined) {
      ctx.addIssue({ code: "custom", path: ["input"], message: "--input only applies with --workflow NAME" });
    }
    if (o.source !== undefined && o.example === undefined) {
      ctx.addIssue({ code: "custom", path: ["source"], message: "--source only applies with --example NAME" });
    }
  });
export type CliOptions = z.infer<typeof CliOptions>;

/** Read argv (readFlags), then validate with zod; bad flags throw CONFIG_INVALID (exit 2). */
export async function parseArgs(argv: string[]): Promise<CliOptions | "help"> {
  const raw = await readFlags(argv);
  if (raw === "help") return "help";
  return checkFlags(raw);
}

/** The flags readFlags read, validated: CliOptions, or CONFIG_INVALID naming the flag. */
export function checkFlags(raw: Flags): CliOptions {
  const parsed = CliOptions.safeParse({ ...raw, var: raw.var?.map(String), allowHost: raw.allowHost?.map(String) }, { reportInput: true });
  if (!parsed.success) {
    const what = inputIssues(parsed.error)
      .map((i) => (i.path === "" || i.message.startsWith("--") ? i.message : `${flagOf(i.path)}: ${i.message}`))
      .join("; ");
    throw new WorkflowError(ErrorCode.ConfigInvalid, `${what}. Run with --help for the options.`);
  }
  limitsFromFlags(parsed.data);
  return parsed.data;
}

/** `--var k=v` pairs as variables; values that parse as JSON (numbers, booleans, objects) keep that type. */
export function parseVariables(pairs: readonly string[]): Record<string, unknown> {
  const variables: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const name = eq > 0 ? pair.slice(0, eq) : "";
    if (!/^[A-Za-z_][\w-]*$/.test(name)) {
      throw new WorkflowError(ErrorCode.ConfigInvalid, `--var "${pair}" is not name=value (names: letters, digits, _ and -).`);
    }
    const text = pair.slice(eq + 1);
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    Object.defineProperty(variables, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return variables;
}

/** The safety settings the CLI flags give (README, Safety); unset limits keep their defaults. */
export function safetyFromOptions(o: CliOptions): SafetySettingsInput {
  return { allowHosts: o.allowHost, allowWrites: o.allowWrites, limits: limitsFromFlags(o), ...(o.approve ? { approve: o.approve } : {}) };
}

/**
 * The limits the flags give, each checked against its range in the Limits schema: a value out of range is
 * CONFIG_INVALID naming the flag, the value and the allowed range (e.g. a --run-deadline past 30 days).
 */
function limitsFromFlags(o: CliOptions): Partial<Record<keyof Limits, number>> {
  const limits: Partial<Record<keyof Limits, number>> = {};
  for (const [flag, { limit }] of Object.entries(LIMIT_FLAGS)) {
    const value = o[camelCase(flag) as keyof CliOptions];
    if (typeof value !== "number") continue;
    const checked = Limits.shape[limit].safeParse(value);
    if (!checked.success) {
      const why = checked.error.issues[0]?.message ?? "is out of range";
      throw new WorkflowError(ErrorCode.ConfigInvalid, `--${flag} ${value}: ${why}. Run with --help for the options.`, {
        details: { flag: `--${flag}`, value, setting: `limits.${limit}` },
      });
    }
    limits[limit] = value;
  }
  return limits;
}

/** The CliOptions fields of the limit flags: a number, or absent. */
function limitFields(): { [F in keyof typeof LIMIT_FLAGS as CamelCase<F>]: z.ZodOptional<z.ZodNumber> } {
  const fields = Object.keys(LIMIT_FLAGS).map((flag) => [camelCase(flag), z.number({ error: `--${flag} takes a number` }).optional()]);
  return Object.fromEntries(fields) as { [F in keyof typeof LIMIT_FLAGS as CamelCase<F>]: z.ZodOptional<z.ZodNumber> };
}

type CamelCase<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<CamelCase<T>>}` : S;

/** `--max-rows` for the option path `maxRows` (`limits.maxRows` too). */
function flagOf(path: string): string {
  const key = path.split(".").pop() ?? path;
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}
