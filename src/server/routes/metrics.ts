import type { FastifyInstance } from "fastify";

export interface MetricsRouteDeps {
  /** Prometheus text and its content type (ServiceMetrics). */
  text(): Promise<string>;
  readonly contentType: string;
}

/**
 * `GET /metrics`: the service's metrics in Prometheus's text format (src/telemetry/service-metrics.ts). Like every
 * route but the health check, it needs the bearer token when SERVER_TOKEN is set (Prometheus: `authorization`).
 */
export async function metricsRoutes(app: FastifyInstance, deps: MetricsRouteDeps): Promise<void> {
  app.get("/metrics", { schema: { tags: ["server"], summary: "Prometheus metrics of the service" } }, async (_req, reply) =>
    reply.type(deps.contentType).send(await deps.text()),
  );
}
