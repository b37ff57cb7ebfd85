import { createServer, type Server } from "node:http";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { guardOf } from "./refusals.js";
import { type QueueSource, queueGauges } from "./service-metrics.js";

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** A job as the worker reports it when it ends (TaskWorkerDeps.onJob). */
export interface EndedJob {
  actionType: string;
  ok: boolean;
  code?: string;
  durationMs: number;
}

/**
 * A worker's Prometheus metrics (`worker --metrics-port`): the jobs it ran by action type and outcome, their
 * durations, refusals by guard, the jobs running on it now, the task queues' depth (BullMQ's counts, read when
 * scraped) and Node's default process metrics.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly jobs: Counter<"action_type" | "outcome" | "code">;
  private readonly durations: Histogram<"action_type" | "outcome">;
  private readonly refusals: Counter<"guard" | "code">;

  constructor(options: { active: () => number; queues?: QueueSource }) {
    const registers = [this.registry];
    this.jobs = new Counter({
      name: "workflow_worker_jobs_total",
      help: "Task attempts this worker ended, by action type and outcome",
      labelNames: ["action_type", "outcome", "code"],
      registers,
    });
    this.durations = new Histogram({
      name: "workflow_worker_job_duration_seconds",
      help: "How long this worker's attempts ran",
      labelNames: ["action_type", "outcome"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.refusals = new Counter({
      name: "workflow_worker_refusals_total",
      help: "Refusals by guard in this worker's attempts",
      labelNames: ["guard", "code"],
      registers,
    });
    new Gauge({
      name: "workflow_worker_active_jobs",
      help: "Attempts running on this worker now",
      registers,
      collect() {
        this.set(options.active());
      },
    });
    if (options.queues) queueGauges(this.registry, options.queues);
    collectDefaultMetrics({ register: this.registry });
  }

  /** Count a job that ended here. */
  jobEnded(job: EndedJob): void {
    const outcome = job.ok ? "completed" : job.code === "CANCELLED" ? "cancelled" : "failed";
    this.jobs.inc({ action_type: job.actionType, outcome, code: job.code ?? "" });
    this.durations.observe({ action_type: job.actionType, outcome }, job.durationMs / 1000);
    const guard = guardOf(job.code);
    if (guard && job.code) this.refusals.inc({ guard, code: job.code });
  }

  /** A plain HTTP listener answering GET /metrics (and 404 otherwise); resolves with its URL once it listens. */
  async listen(host: string, port: number): Promise<{ url: string; close: () => Promise<void> }> {
    const server: Server = createServer((req, res) => {
      if (req.method !== "GET" || req.url?.split("?")[0] !== "/metrics") {
        res.writeHead(404, { "content-type": "text/plain" }).end("GET /metrics\n");
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": this.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(`${(err as Error).message}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address();
    const bound = typeof address === "object" && address ? address.port : port;
    return {
      url: `http://${host.includes(":") ? `[${host}]` : host}:${bound}/metrics`,
      close: () => {
        server.closeAllConnections();
        return new Promise((resolve) => server.close(() => resolve()));
      },
    };
  }
}
