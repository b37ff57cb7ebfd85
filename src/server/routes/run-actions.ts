import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { CancelBody, DecisionBody, RollbackBody, RunParams } from "../run-input.js";
import type { ServerDeps } from "../server-deps.js";

/** POST /runs/:id/resume | approve | reject | cancel. */
export async function runActionRoutes(app: FastifyInstance, deps: ServerDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["runs"];
  r.post("/runs/:id/resume", { schema: { params: RunParams, tags, summary: "Continue an unfinished run" } }, async (req, reply) =>
    reply.status(202).send(await deps.runs.resume(req.params.id)),
  );

  r.post(
    "/runs/:id/approve",
    { schema: { params: RunParams, body: DecisionBody, tags, summary: "Approve what a paused run waits for" } },
    async (req, reply) => {
      const { tasks, by } = req.body;
      return reply
        .status(202)
        .send(await deps.runs.decide(req.params.id, { approve: true, ...(tasks ? { tasks } : {}), ...(by ? { by } : {}) }));
    },
  );

  r.post(
    "/runs/:id/reject",
    { schema: { params: RunParams, body: DecisionBody, tags, summary: "Reject what a paused run waits for" } },
    async (req, reply) => {
      const { tasks, by, reason } = req.body;
      const decision = { approve: false, ...(tasks ? { tasks } : {}), ...(by ? { by } : {}), ...(reason ? { reason } : {}) };
      return reply.status(202).send(await deps.runs.decide(req.params.id, decision));
    },
  );

  r.post(
    "/runs/:id/cancel",
    { schema: { params: RunParams, body: CancelBody, tags, summary: "Cancel an unfinished run, wherever it is driven" } },
    async (req, reply) => {
      const outcome = await deps.engine.cancel(req.params.id, req.body.reason ?? "cancelled through the API");
      return reply.status(202).send({ run_id: req.params.id, status: outcome === "cancelled" ? "cancelled" : "cancel_requested" });
    },
  );

  r.post(
    "/runs/:id/rollback",
    { schema: { params: RunParams, body: RollbackBody, tags, summary: "Undo a finished run (dry_run: only list what would be undone)" } },
    async (req, reply) => {
      if (req.body.dry_run) return { run_id: req.params.id, undo: await deps.engine.planRollback(req.params.id) };
      return reply.status(202).send(await deps.runs.rollback(req.params.id));
    },
  );
}
