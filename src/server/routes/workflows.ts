import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { parseWorkflowRef } from "../../model/workflow-schema.js";
import type { ServerDeps } from "../server-deps.js";

const RefParams = z.strictObject({ ref: z.string().max(200).describe("NAME or NAME@VERSION") });

/** GET /workflows and GET /workflows/:ref: the library a client may run with POST /runs {workflow, inputs}. Read-only. */
export async function workflowRoutes(app: FastifyInstance, deps: ServerDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    "/workflows",
    { schema: { tags: ["workflows"], summary: "The workflow library: newest version of each, its inputs" } },
    async () => ({
      workflows: await deps.engine.library.list(),
    }),
  );
  r.get(
    "/workflows/:ref",
    { schema: { params: RefParams, tags: ["workflows"], summary: "One workflow's definition (the newest version unless one is named)" } },
    async (req) => {
      const { name, version } = parseWorkflowRef(req.params.ref);
      return deps.engine.library.get(name, version);
    },
  );
}
