import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import Fastify, { type FastifyInstance } from "fastify";
import { jsonSchemaTransform, serializerCompiler } from "fastify-type-provider-zod";
import { ErrorCode, WorkflowError } from "../model/errors.js";
import { errorBody, errorHandler, zodValidator } from "./http-errors.js";
import { allowedHosts } from "./host-check.js";
import { tokenCheck } from "./token-check.js";
import { planRoutes } from "./routes/plan.js";
import { runActionRoutes } from "./routes/run-actions.js";
import { runEventRoutes } from "./routes/run-events.js";
import { runRoutes } from "./routes/runs.js";
import { workflowRoutes } from "./routes/workflows.js";
import type { ServerDeps } from "./server-deps.js";
import { packageVersion } from "../../utils/version.js";

export interface ServerOptions {
  /** Largest request body; a plan of the largest size the engine takes fits (8 MiB). */
  bodyLimitBytes?: number;
  /** Requests per minute per client address; 0 turns the limit off. */
  rateLimitPerMinute?: number;
  /**
   * When the server listens on a loopback address, requests must name it (or localhost) in their Host
   * header, so a web page elsewhere cannot reach the API through DNS rebinding. Default true.
   */
  checkHost?: boolean;
  /** When set, every request but the health check and the dashboard's page must carry it as a bearer token. */
  token?: string;
  /** More route plugins (the dashboard, the schedules). */
  plugins?: ((app: FastifyInstance) => Promise<void>)[];
}

/** The HTTP API (docs/server.md): every route, validation by the zod schemas, errors as `{error: {code, message}}`. */
export async function buildServer(deps: ServerDeps, options: ServerOptions = {}): Promise<FastifyInstance> {
  // Closing ends the open event streams too: a client following a paused run must not hold a shutdown.
  const app = Fastify({ bodyLimit: options.bodyLimitBytes ?? 8 * 1024 * 1024, logger: false, forceCloseConnections: true });
  app.setValidatorCompiler(zodValidator as never);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler(deps.logger));
  app.setNotFoundHandler((req, reply) =>
    reply
      .status(404)
      .send(errorBody(new WorkflowError(ErrorCode.NotFound, `No route ${req.method} ${req.url.split("?")[0]}; see GET /openapi.json.`))),
  );
  if (options.checkHost ?? true) {
    let hosts: Set<string> | undefined | null = null;
    app.addHook("onRequest", async (req) => {
      // Known once the server listens (its port may have been chosen by the system).
      if (hosts === null) {
        const address = app.server.address();
        if (address === null || typeof address === "string") return;
        hosts = allowedHosts(address.address, address.port);
      }
      if (hosts && !hosts.has((req.headers.host ?? "").toLowerCase())) {
        throw new WorkflowError(
          ErrorCode.InputInvalid,
          `headers.host: ${JSON.stringify(req.headers.host ?? "")} is not this server's address.`,
        );
      }
    });
  }
  if (options.token) app.addHook("onRequest", tokenCheck(options.token));
  await app.register(swagger, {
    openapi: { info: { title: "Agentic Workflow Engine", version: packageVersion(), description: "Runs goals and plans as workflows." } },
    transform: jsonSchemaTransform,
  });
  if ((options.rateLimitPerMinute ?? 600) > 0) {
    await app.register(rateLimit, {
      max: options.rateLimitPerMinute ?? 600,
      timeWindow: 60_000,
      // The live event streams stay open; they count once, when they start.
      errorResponseBuilder: (_req, ctx) =>
        Object.assign(
          new WorkflowError(
            ErrorCode.RateLimited,
            `More than ${ctx.max} requests a minute from this address; retry in ${Math.ceil(ctx.ttl / 1000)} s.`,
          ),
          {
            statusCode: 429,
          },
        ),
    });
  }
  app.get("/healthz", { schema: { tags: ["server"], summary: "Liveness, and whether the server takes runs" } }, async (_req, reply) => {
    const info = await deps.engine.persistenceInfo();
    const draining = deps.runs.isDraining;
    return reply
      .status(draining ? 503 : 200)
      .send({ status: draining ? "draining" : "ok", runs_in_flight: deps.runs.inFlight, persistence: info.kind });
  });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  await runRoutes(app, deps);
  await runActionRoutes(app, deps);
  await runEventRoutes(app, deps);
  await planRoutes(app, deps);
  await workflowRoutes(app, deps);
  for (const plugin of options.plugins ?? []) await plugin(app);
  return app;
}
