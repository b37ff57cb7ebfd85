import type { FastifyInstance } from "fastify";
import type { Logger } from "../../utils/logger.js";
import type { EventListener } from "../model/events.js";
import type { WorkflowEngine } from "../engine/workflow-engine.js";
import { buildServer, type ServerOptions } from "./build-server.js";
import { MemoryEventLog } from "./memory-event-log.js";
import { dashboardRoutes } from "./routes/dashboard.js";
import { queueRoutes } from "./routes/queues.js";
import { metricsRoutes } from "./routes/metrics.js";
import { ServiceMetrics } from "../telemetry/service-metrics.js";
import { scheduleRoutes } from "./routes/schedules.js";
import { RunService } from "./run-service.js";
import { ScheduleRunner } from "./schedule-runner.js";

export interface ServiceOptions extends Omit<ServerOptions, "plugins"> {
  logger: Logger;
  /** Base URL of the prebuilt workflows' API when a request gives none (`serve --demo`). */
  defaultSource?: string;
  /** Tick the schedules (default true); tests of the API alone may leave them still. */
  schedules?: boolean;
}

/** The whole service `serve` runs: the engine's runs, the HTTP API and dashboard, and the schedules. */
export class WorkflowService {
  readonly runs: RunService;
  readonly schedules: ScheduleRunner;
  /** What `GET /metrics` serves. */
  readonly metrics: ServiceMetrics;
  private constructor(
    readonly engine: WorkflowEngine,
    readonly app: FastifyInstance,
    runs: RunService,
    schedules: ScheduleRunner,
    private readonly ticking: boolean,
    metrics: ServiceMetrics,
  ) {
    this.metrics = metrics;
    this.runs = runs;
    this.schedules = schedules;
  }

  /**
   * Build it over the engine `makeEngine` returns; the engine must pass every event to `onEvent` (the log that
   * clients follow when no Redis is configured), and should report to `metrics` (EngineOptions.metrics) for
   * `GET /metrics` to count its runs.
   */
  static async create(
    makeEngine: (onEvent: EventListener, metrics: ServiceMetrics) => WorkflowEngine,
    options: ServiceOptions,
  ): Promise<WorkflowService> {
    const events = new MemoryEventLog();
    let made: WorkflowEngine | undefined;
    const metrics = new ServiceMetrics({ queues: async () => made?.queueMetrics() });
    const engine = makeEngine(events.append, metrics);
    made = engine;
    const { logger } = options;
    const runs = new RunService(engine, logger, options.defaultSource);
    const schedules = new ScheduleRunner({
      store: await engine.scheduleStore(),
      startRun: (input) => runs.startScheduled(input),
      runStatus: (id) => runs.statusOf(id),
      logger: logger.child({ component: "schedules" }),
    });
    const scheduleApi = {
      store: () => engine.scheduleStore(),
      scrub: <T>(v: T) => engine.secrets.scrub(v),
      changed: () => schedules.wake(),
    };
    const app = await buildServer(
      { engine, runs, events, logger },
      {
        ...options,
        plugins: [
          async (server) => {
            await server.register(scheduleRoutes, scheduleApi);
            await server.register(queueRoutes, { metrics: () => engine.queueMetrics() });
            await server.register(metricsRoutes, { text: () => metrics.text(), contentType: metrics.contentType });
          },
          dashboardRoutes,
        ],
      },
    );
    return new WorkflowService(engine, app, runs, schedules, options.schedules ?? true, metrics);
  }

  /**
   * Resume the runs left in flight (before answering anyone, so a client asking about one finds it driven here),
   * listen, and start the schedules. Returns the URL.
   */
  async listen(host: string, port: number): Promise<string> {
    await this.runs.resumeOrphans();
    await this.app.listen({ host, port });
    const address = this.app.server.address();
    const bound = typeof address === "object" && address ? address.port : port;
    if (this.ticking) this.schedules.start();
    return `http://${host.includes(":") ? `[${host}]` : host}:${bound}`;
  }

  /** Stop the schedules, drain the runs (`graceMs`, then suspend), stop answering, close the engine. */
  async close(graceMs: number): Promise<void> {
    await this.schedules.stop();
    await this.runs.drain(graceMs);
    await this.app.close();
    await this.engine.close();
  }
}
