import type { FastifyInstance, FastifySchemaCompiler } from "fastify";
import { z } from "zod";
import { ErrorCode, WorkflowError } from "../../model/errors.js";
import { type Schedule, ScheduleInput } from "../../model/schedule.js";
import { nextDue } from "../../model/schedule-due-times.js";
import type { ScheduleStore } from "../../persistence/schedule-store.js";
import { parseScheduleInput } from "../../plan/schedule-entry.js";

export interface ScheduleRouteDeps {
  store: () => Promise<ScheduleStore>;
  /** Cleans what a response shows (the engine's secret scrubber); a schedule keeps its variables to fire with them. */
  scrub?: <T>(value: T) => T;
  /** Called after a schedule is added or resumed here, so this server's runner looks at once (others poll). */
  changed?: () => void;
}

const IdParams = z.strictObject({ id: z.string().max(200) });
const FIRINGS_SHOWN = 20;

/**
 * The routes' bodies are read by parseScheduleInput (its messages name the field, the value and what is allowed,
 * and a plan is validated like a run's), so each route takes what it is given; the zod schemas are there for
 * the OpenAPI document. Per route, so whatever compiler the server sets for its other routes stays theirs.
 */
const takeAsGiven: FastifySchemaCompiler<unknown> = () => (data) => ({ value: data });

/** `/schedules`: list, create, show, delete, pause and resume the cron schedules that `serve` fires. */
export async function scheduleRoutes(app: FastifyInstance, deps: ScheduleRouteDeps): Promise<void> {
  const scrub = deps.scrub ?? (<T>(v: T) => v);
  const view = (s: Schedule, now = new Date()) => scrub({ ...s, next_fire_at: s.paused ? null : nextFire(s, now) });
  const found = async (id: string): Promise<Schedule> => {
    const schedule = await (await deps.store()).get(id);
    if (!schedule) throw notFound(id);
    return schedule;
  };
  const common = { validatorCompiler: takeAsGiven };

  app.get("/schedules", { ...common, schema: {} }, async () => {
    const schedules = await (await deps.store()).list();
    return { schedules: schedules.map((s) => view(s)) };
  });

  app.post("/schedules", { ...common, schema: { body: ScheduleInput } }, async (request, reply) => {
    const schedule = parseScheduleInput(request.body ?? {}, { code: ErrorCode.InputInvalid });
    await (await deps.store()).add(schedule);
    deps.changed?.();
    return reply.code(201).send(view(schedule));
  });

  app.get("/schedules/:id", { ...common, schema: { params: IdParams } }, async (request) => {
    const { id } = request.params as z.infer<typeof IdParams>;
    const schedule = await found(id);
    const firings = await (await deps.store()).firings(id, FIRINGS_SHOWN);
    return { ...view(schedule), firings: scrub(firings) };
  });

  app.delete("/schedules/:id", { ...common, schema: { params: IdParams } }, async (request, reply) => {
    const { id } = request.params as z.infer<typeof IdParams>;
    if (!(await (await deps.store()).delete(id))) throw notFound(id);
    return reply.code(204).send();
  });

  for (const [action, paused] of [
    ["pause", true],
    ["resume", false],
  ] as const) {
    app.post(`/schedules/:id/${action}`, { ...common, schema: { params: IdParams } }, async (request) => {
      const { id } = request.params as z.infer<typeof IdParams>;
      const schedule = await (await deps.store()).setPaused(id, paused);
      if (!schedule) throw notFound(id);
      if (!paused) deps.changed?.();
      return view(schedule);
    });
  }
}

function nextFire(schedule: Schedule, now: Date): string | null {
  return nextDue(schedule, now)?.toISOString() ?? null;
}

/** SCHEDULE_NOT_FOUND, naming the id and how to see the others. */
function notFound(id: string): WorkflowError {
  return new WorkflowError(ErrorCode.ScheduleNotFound, `No schedule "${id}". List the schedules with GET /schedules.`, {
    details: { schedule_id: id },
  });
}
