import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { ErrorCode, WorkflowError } from "../../model/errors.js";
import type { RunRecord } from "../../persistence/run-store.js";
import { ListRunsQuery, RunParams, StartRunBody } from "../run-input.js";
import type { ServerDeps } from "../server-deps.js";

/** POST /runs, GET /runs, GET /runs/:id, DELETE /runs/:id. */
export async function runRoutes(app: FastifyInstance, deps: ServerDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    "/runs",
    { schema: { body: StartRunBody, tags: ["runs"], summary: "Start a run from a goal, a plan or a workflow" } },
    async (req, reply) => {
      const accepted = await deps.runs.start(req.body);
      return reply
        .status(202)
        .header("location", `/runs/${encodeURIComponent(accepted.run_id)}`)
        .send(accepted);
    },
  );

  r.get("/runs", { schema: { querystring: ListRunsQuery, tags: ["runs"], summary: "The runs, newest first" } }, async (req) => {
    const { status, limit } = req.query;
    const after = req.query.cursor === undefined ? undefined : decodeCursor(req.query.cursor);
    // One more than asked: whether there is a next page.
    const page = await deps.engine.listRuns({ limit: limit + 1, ...(status ? { status } : {}), ...(after ? { after } : {}) });
    const runs = page.slice(0, limit);
    const last = runs[runs.length - 1];
    return {
      runs: runs.map(withDuration),
      ...(page.length > limit && last ? { next_cursor: encodeCursor(last) } : {}),
    };
  });

  r.get("/runs/:id", { schema: { params: RunParams, tags: ["runs"], summary: "A run: status, tasks, metrics, attempts" } }, async (req) => {
    const { record, result, attempts } = await deps.engine.runDetail(req.params.id);
    return { ...result, record: withDuration(record), attempts };
  });

  r.delete(
    "/runs/:id",
    { schema: { params: RunParams, tags: ["runs"], summary: "Delete a run's checkpoints and record" } },
    async (req, reply) => {
      await deps.engine.deleteRun(req.params.id);
      return reply.status(204).send();
    },
  );
}

function withDuration(r: RunRecord): RunRecord & { duration_ms?: number } {
  const end = r.finished_at ? Date.parse(r.finished_at) : undefined;
  return end === undefined ? r : { ...r, duration_ms: Math.max(0, end - Date.parse(r.created_at)) };
}

/** A page's position, opaque to clients: the last run's created_at and id. */
function encodeCursor(r: RunRecord): string {
  return Buffer.from(JSON.stringify([r.created_at, r.run_id])).toString("base64url");
}

function decodeCursor(cursor: string): { created_at: string; run_id: string } {
  try {
    const [created_at, run_id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];
    if (typeof created_at === "string" && typeof run_id === "string" && !Number.isNaN(Date.parse(created_at)))
      return { created_at, run_id };
  } catch {
    // answered below
  }
  throw new WorkflowError(
    ErrorCode.InputInvalid,
    `query.cursor: ${JSON.stringify(cursor.slice(0, 60))} is not a cursor this server gave (next_cursor).`,
  );
}
