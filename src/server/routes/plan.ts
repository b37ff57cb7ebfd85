import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { Plan } from "../../model/plan-schema.js";
import type { TaskStatus } from "../../model/task-state.js";
import { toDot, toLevels, toMermaid } from "../../plan/plan-graph.js";
import { GraphQuery, RunParams, RunSource } from "../run-input.js";
import type { ServerDeps } from "../server-deps.js";

/** POST /plan (a dry run) and GET /runs/:id/graph. */
export async function planRoutes(app: FastifyInstance, deps: ServerDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post("/plan", { schema: { body: RunSource, tags: ["plan"], summary: "Plan a goal or check a plan; nothing runs" } }, async (req) => {
    const plan = await deps.engine.plan(deps.runs.sourceOf(req.body), req.body.variables ?? {});
    const shown = deps.engine.secrets.scrub(plan);
    return { plan: shown, ...graphOf(shown) };
  });

  r.get(
    "/runs/:id/graph",
    { schema: { params: RunParams, querystring: GraphQuery, tags: ["runs"], summary: "A run's DAG, coloured by task status" } },
    async (req, reply) => {
      const { result } = await deps.engine.getRun(req.params.id);
      const statuses = Object.fromEntries(result.tasks.map((t) => [t.id, t.status])) as Record<string, TaskStatus>;
      const plan = { tasks: result.tasks };
      if (req.query.format === "mermaid") return reply.type("text/plain; charset=utf-8").send(toMermaid(plan, statuses));
      if (req.query.format === "dot") return reply.type("text/vnd.graphviz; charset=utf-8").send(toDot(plan, statuses));
      return graphOf(plan, statuses);
    },
  );
}

/** The DAG as nodes and edges (what the dashboard lays out), and as Mermaid and DOT text. */
function graphOf(plan: Pick<Plan, "tasks">, statuses: Record<string, TaskStatus> = {}) {
  return {
    nodes: plan.tasks.map((t) => ({
      id: t.id,
      ...(t.name === undefined ? {} : { name: t.name }),
      action_type: t.action_type,
      ...(statuses[t.id] ? { status: statuses[t.id] } : {}),
    })),
    edges: plan.tasks.flatMap((t) => t.dependencies.map((d) => ({ from: d, to: t.id }))),
    levels: toLevels(plan),
    graph: { mermaid: toMermaid(plan, statuses), dot: toDot(plan, statuses) },
  };
}
