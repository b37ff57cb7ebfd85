import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { ensureWorkflowError } from "../../../src/model/errors.js";
import { MemoryScheduleStore } from "../../../src/persistence/schedule-store.js";
import { scheduleRoutes } from "../../../src/server/routes/schedules.js";

const STATUS: Record<string, number> = { SCHEDULE_NOT_FOUND: 404, INPUT_INVALID: 400, PLAN_INVALID: 400, PLAN_CYCLE: 400 };
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** The routes on a bare Fastify, with the smallest error handler that maps codes the way the server's does. */
async function server(store = new MemoryScheduleStore()): Promise<{ app: FastifyInstance; store: MemoryScheduleStore }> {
  app = Fastify();
  app.setErrorHandler((error, _request, reply) => {
    const e = ensureWorkflowError(error);
    return reply.code(STATUS[e.code] ?? 500).send({ error: { code: e.code, message: e.message } });
  });
  await app.register(scheduleRoutes, { store: async () => store });
  return { app, store };
}

describe("/schedules", () => {
  it("creates a schedule (201), lists it, shows it with its next fire time and firings, pauses, resumes and deletes it", async () => {
    const { app } = await server();
    const created = await app.inject({
      method: "POST",
      url: "/schedules",
      payload: { id: "nightly", cron: "0 2 * * *", goal: "say hi", tz: "Europe/Paris" },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      id: "nightly",
      cron: "0 2 * * *",
      tz: "Europe/Paris",
      overlap: "skip",
      catch_up: "latest",
      paused: false,
    });
    expect(created.json().next_fire_at).toMatch(/^\d{4}-\d\d-\d\dT(00|01):00:00.000Z$/);
    const listed = await app.inject({ method: "GET", url: "/schedules" });
    expect(listed.json().schedules.map((s: { id: string }) => s.id)).toEqual(["nightly"]);
    const shown = await app.inject({ method: "GET", url: "/schedules/nightly" });
    expect(shown.json()).toMatchObject({ id: "nightly", firings: [] });
    const paused = await app.inject({ method: "POST", url: "/schedules/nightly/pause" });
    expect(paused.json()).toMatchObject({ paused: true, next_fire_at: null });
    expect((await app.inject({ method: "POST", url: "/schedules/nightly/resume" })).json()).toMatchObject({ paused: false });
    expect((await app.inject({ method: "DELETE", url: "/schedules/nightly" })).statusCode).toBe(204);
    expect((await app.inject({ method: "GET", url: "/schedules" })).json()).toEqual({ schedules: [] });
  });

  it("gives an id when none is given", async () => {
    const { app } = await server();
    const created = await app.inject({
      method: "POST",
      url: "/schedules",
      payload: { cron: "*/5 * * * *", workflow: "data_pipeline", inputs: {} },
    });
    expect(created.json().id).toMatch(/^sch-[0-9a-f-]{36}$/);
  });

  it("answers 404 SCHEDULE_NOT_FOUND for an unknown id, on every route that takes one", async () => {
    const { app } = await server();
    for (const [method, url] of [
      ["GET", "/schedules/nope"],
      ["DELETE", "/schedules/nope"],
      ["POST", "/schedules/nope/pause"],
      ["POST", "/schedules/nope/resume"],
    ] as const) {
      const res = await app.inject({ method, url });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({
        error: { code: "SCHEDULE_NOT_FOUND", message: 'No schedule "nope". List the schedules with GET /schedules.' },
      });
    }
  });

  it("answers 400 INPUT_INVALID naming the field, the value and what is allowed", async () => {
    const { app } = await server();
    const bad = async (payload: unknown) => {
      const res = await app.inject({ method: "POST", url: "/schedules", payload: payload as object });
      expect(res.statusCode).toBe(400);
      return res.json().error as { code: string; message: string };
    };
    const cron = await bad({ cron: "0 25 * * *", goal: "x" });
    expect(cron.code).toBe("INPUT_INVALID");
    expect(cron.message).toContain("cron: must be a cron expression of 5 fields (minute hour day month weekday");
    expect(cron.message).toContain('Invalid value for hour: 25 (given "0 25 * * *")');
    expect((await bad({ cron: "0 2 * * *", goal: "x", tz: "Mars/Olympus" })).message).toContain(
      'tz: must be an IANA time zone (e.g. UTC, Europe/Paris, America/New_York) (given "Mars/Olympus")',
    );
    expect((await bad({ cron: "0 2 * * *", goal: "x", overlap: "never" })).message).toContain('overlap: "never" is not one of skip, allow');
    expect((await bad({ cron: "0 2 * * *", goal: "x", plan: { tasks: [] } })).message).toContain(
      "give exactly one of goal, plan or workflow (given 2)",
    );
    expect((await bad({ cron: "0 2 * * *", goal: "x", id: "no spaces" })).message).toContain(
      "id: a schedule id starts with a letter or digit",
    );
    expect((await bad({ cron: "0 2 * * *", goal: "x", when: 1 })).message).toContain('unknown field "when"');
    const plan = await bad({ cron: "0 2 * * *", plan: { tasks: [{ id: "a", action_type: "shell", action_config: {} }] } });
    expect(plan.code).toBe("PLAN_INVALID");
    expect(plan.message).toContain("plan.tasks[0].action_type");
  });

  it("refuses a second schedule under a taken id with INPUT_INVALID", async () => {
    const { app } = await server();
    const payload = { id: "dup", cron: "0 2 * * *", goal: "x" };
    expect((await app.inject({ method: "POST", url: "/schedules", payload })).statusCode).toBe(201);
    const again = await app.inject({ method: "POST", url: "/schedules", payload });
    expect(again.statusCode).toBe(400);
    expect(again.json().error.message).toContain('A schedule "dup" already exists');
  });
});
