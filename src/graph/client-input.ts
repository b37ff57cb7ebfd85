import { randomUUID } from "node:crypto";
import { z } from "zod";

/** The most a client's plan or variables may weigh, serialized: they are stored in the run's checkpoints. */
const MAX_INPUT_BYTES = 8 * 1024 * 1024;

/** `schema`, refused when its value serializes to more than MAX_INPUT_BYTES (the message names the field, the size and the limit). */
function bounded<T extends z.ZodType>(field: string, schema: T) {
  return schema.superRefine((value, ctx) => {
    const bytes = Buffer.byteLength(JSON.stringify(value ?? null));
    if (bytes > MAX_INPUT_BYTES)
      ctx.addIssue({ code: "custom", message: `${field} is ${bytes} bytes as JSON; at most ${MAX_INPUT_BYTES} are accepted` });
  });
}

/**
 * What a client of the Agent Server (langgraph.json's graph) may write when it starts a run: a context
 * naming the run and its goal, or a plan beside it, and the workflow variables. It is a zod schema so the
 * server can show it (`GET /assistants/{id}/schemas`) and LangGraph parses every input with it: anything
 * else a client sends (a `context.safety`, a `status`, `tasks`, `history`) is dropped before the graph sees it.
 * The plan itself is checked by the engine's one plan entry, which answers PLAN_INVALID naming the bad value.
 */
export const ClientInput = z.object({
  context: z
    .object({
      workflow_id: z
        .string()
        .min(1)
        .max(200)
        .default(() => `run-${randomUUID().slice(0, 8)}`)
        .describe("The run's id, shown in its events and results (runs are kept apart by thread, not by this id)."),
      goal: z
        .string()
        .max(100_000)
        .optional()
        .describe("What to do, in plain words; planned by the server's planner. Ignored when workflow_plan is given."),
      concurrency: z.number().int().min(1).max(1024).default(8).describe("Tasks running at once."),
      status: z.literal("planning").default("planning").describe("Always 'planning': a run starts by planning."),
      started_at: z.iso
        .datetime()
        .default(() => new Date().toISOString())
        .describe("When the run started (default: now)."),
    })
    .describe("The run: its id, its goal, how many tasks may run at once."),
  workflow_plan: bounded("workflow_plan", z.record(z.string(), z.unknown()).nullable())
    .optional()
    .describe("A plan instead of a goal: {tasks: [{id, action_type, action_config, dependencies}]}, checked by the engine's plan entry."),
  memory: bounded(
    "memory",
    z.object({ variables: z.record(z.string(), z.unknown()).optional().describe("Values for {{var.NAME}} in the plan.") }),
  )
    .optional()
    .describe("The workflow variables."),
});

export type ClientInput = z.infer<typeof ClientInput>;
