import { hostname } from "node:os";
import path from "node:path";
import { createLogger } from "../../utils/logger.js";
import { defaultTemplateRoot } from "../actions/db-query/pglite-template.js";
import { EngineResources } from "../engine/engine-resources.js";
import { resolveWorkspace } from "../engine/engine-settings.js";
import { createAttemptRunner } from "../executor/run-attempt.js";
import { ErrorCode, WorkflowError } from "../model/errors.js";
import { resolveKeyPrefix } from "../persistence/redis-connection.js";
import { TaskWorker } from "../queue/task-worker.js";
import { QueueExecutor } from "../queue/queue-executor.js";
import { SecretScrubber } from "../safety/secrets/scrubber.js";
import { readWorkerFlags } from "./worker-flags.js";
import { OtelTelemetry } from "../telemetry/otel-telemetry.js";
import { tracingRequested } from "../telemetry/tracing-env.js";
import { firstStopSignal } from "./stop-signal.js";

export interface WorkerIo {
  out(text: string): void;
  err(text: string): void;
}

/**
 * `node main.js worker`: serve the task queues until SIGTERM or SIGINT. A worker is composed like the engine's
 * in-process executor: the same attempt runner, with this process's workspace, SQL client, environment (for
 * `{{env.NAME}}`) and secret scrubber; the run's safety policy comes with each job.
 */
export async function workerCommand(argv: string[], io: WorkerIo): Promise<number> {
  const options = await readWorkerFlags(argv);
  if (options === "help") return 0;
  const env = process.env;
  const redisUrl = env.REDIS_URL || undefined;
  if (!redisUrl) {
    throw new WorkflowError(ErrorCode.ConfigInvalid, "A worker takes its jobs from Redis: set REDIS_URL (e.g. redis://127.0.0.1:6379).");
  }
  const secrets = SecretScrubber.fromEnv(env);
  const name = options.name ?? `${hostname()}:${process.pid}`;
  const logger = createLogger(options.logLevel, secrets).child({ worker: name });
  const workspace = resolveWorkspace(options.workspace);
  const databaseUrl = env.DATABASE_URL || undefined;
  const resources = new EngineResources({
    stateDir: path.resolve(workspace, ".workflow-state"),
    persist: "memory",
    checkpointSchema: "workflow_engine",
    logger,
    secrets,
    pgliteTemplateRoot: defaultTemplateRoot(env),
    onNotice: (message) => io.err(message),
    ...(databaseUrl ? { databaseUrl } : {}),
  });
  const keyPrefix = resolveKeyPrefix(env.REDIS_PREFIX || undefined);
  // Metrics only when asked for (--metrics-port): prom-client loads with them. The queue counts are read through a
  // queue executor that never launches anything.
  const metricsOn = options.metricsPort !== undefined;
  const counts = metricsOn ? new QueueExecutor({ redisUrl, keyPrefix }, logger) : undefined;
  const metrics = metricsOn
    ? new (await import("../telemetry/worker-metrics.js")).WorkerMetrics({
        active: () => worker.activeJobs,
        ...(counts ? { queues: () => counts.queueMetrics() } : {}),
      })
    : undefined;
  const worker: TaskWorker = new TaskWorker(
    {
      redisUrl,
      keyPrefix,
      actions: options.actions,
      concurrency: options.concurrency,
      lockSeconds: options.lockSeconds,
      ...(options.stalledCheckSeconds === undefined ? {} : { stalledCheckSeconds: options.stalledCheckSeconds }),
      name,
    },
    {
      run: createAttemptRunner({ workspace, logger, sql: () => resources.sqlClient(), env, secrets }),
      safety: {
        ...(options.allowHost ? { allowHosts: options.allowHost } : {}),
        ...(options.allowWrites === undefined ? {} : { allowWrites: options.allowWrites }),
        ...(options.approve ? { approve: options.approve } : {}),
        limits: options.limits,
      },
      scrub: (value) => secrets.scrub(value),
      logger,
      onJob: (job) => {
        logger.info(job, "job ended");
        metrics?.jobEnded(job);
      },
      ...(tracingRequested(env) ? { telemetry: new OtelTelemetry((text) => secrets.scrubString(text)) } : {}),
    },
  );
  const stops: (() => Promise<void>)[] = [];
  try {
    await worker.start().catch(async (err: unknown) => {
      // A Redis that refuses at start: close what did open, so the process can exit with the error.
      await worker.close(0).catch(() => undefined);
      throw err;
    });
    const listener = metrics && (await metrics.listen(options.metricsHost, options.metricsPort ?? 0));
    if (listener) {
      stops.push(listener.close);
      io.err(`worker ${name}: metrics at ${listener.url}`);
    }
    io.err(`worker ${name}: serving ${options.actions.join(", ")} (concurrency ${options.concurrency} each)`);
    const signal = await firstStopSignal();
    io.err(`${signal}: taking no new jobs; those in hand get ${options.graceSeconds} s, then go back to the queue`);
    await worker.close(options.graceSeconds * 1000);
  } finally {
    await Promise.all(stops.map((s) => s().catch(() => undefined)));
    await counts?.close();
    await resources.close();
  }
  io.err("stopped");
  return 0;
}
