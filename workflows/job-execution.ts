import { z } from "zod";
import {
  ErrorCode,
  WorkflowError,
  type PlanInput,
  type RunOptions,
  type TaskSpecInput,
  type WorkflowEngine,
  type WorkflowResult,
} from "../src/index.js";

/** Statuses after which a job no longer changes. */
export const FINAL_JOB_STATUSES = ["done", "failed"] as const;

/**
 * The job_execution's input. The job API is `POST {apiUrl}/jobs` (body: `jobConfig`) answering `{id}`,
 * `GET {apiUrl}/jobs/{id}` answering `{status}` (`queued`, `running`, then `done` or `failed`, with `error`),
 * and `GET {apiUrl}/jobs/{id}/result`: the shape of the built-in demo API.
 */
export const JobExecutionInput = z.strictObject({
  apiUrl: z.url({ protocol: /^https?$/, error: "apiUrl must be an http(s) URL" }).transform((u) => u.replace(/\/+$/, "")),
  /** Sent as the body of `POST /jobs`. */
  jobConfig: z.record(z.string(), z.unknown()).default({}),
  /** Seconds between two status polls. */
  monitorInterval: z.number().min(0.01).max(3600).default(1),
  /** Seconds the job may take, counted from the first status poll; then the run fails with POLL_DEADLINE. */
  timeout: z.number().positive().max(86_400).default(300),
  /** Where the job's result is stored (relative to the workspace). */
  resultPath: z.string().min(1).default("output/job_result.json"),
});
export type JobExecutionInput = z.input<typeof JobExecutionInput>;

/**
 * Submit, then one api_call that polls the status (the engine's `until`/`interval`/`deadline`) until the job is
 * done or failed, a check that fails the run when it failed, then fetch the result and store it.
 */
export function jobExecutionPlan(input: JobExecutionInput): PlanInput {
  const cfg = parse(input);
  const job = `${cfg.apiUrl}/jobs/{{submit.data.id}}`;
  const tasks: TaskSpecInput[] = [
    {
      id: "submit",
      name: "Submit the job",
      action_type: "api_call",
      action_config: { method: "POST", url: `${cfg.apiUrl}/jobs`, body: cfg.jobConfig },
    },
    {
      id: "monitor",
      name: `Poll the job's status every ${cfg.monitorInterval} s until ${FINAL_JOB_STATUSES.join(" or ")} (at most ${cfg.timeout} s)`,
      action_type: "api_call",
      action_config: {
        method: "GET",
        url: job,
        until: `data.status in ${JSON.stringify(FINAL_JOB_STATUSES)}`,
        interval: cfg.monitorInterval,
        deadline: cfg.timeout,
      },
    },
    {
      id: "check",
      name: "Fail the run if the job failed",
      action_type: "transform_data",
      action_config: {
        input: "{{monitor.data}}",
        expression:
          `($assert(status = "done", "job " & id & " ended with status " & status & ": " & ` +
          `($exists(error) ? error : "no reason given")); $)`,
      },
    },
    {
      id: "fetch_result",
      name: "Fetch the job's result",
      action_type: "api_call",
      action_config: { method: "GET", url: `${job}/result` },
      dependencies: ["check"],
    },
    {
      id: "store",
      name: `Store the result in ${cfg.resultPath}`,
      action_type: "file_operation",
      action_config: {
        operation: "write",
        path: cfg.resultPath,
        content: { job: "{{check.data}}", polls: "{{monitor.polls}}", result: "{{fetch_result.data}}" },
      },
    },
  ];
  return { goal: `Job execution: submit to ${cfg.apiUrl}/jobs, poll every ${cfg.monitorInterval} s, store the result`, tasks };
}

/** Build the job_execution plan and run it on `engine`; resolves with the result whatever its status. */
export async function runJobExecution(engine: WorkflowEngine, input: JobExecutionInput, options: RunOptions = {}): Promise<WorkflowResult> {
  return engine.run(jobExecutionPlan(input), options);
}

/** The same as a class, for callers that keep one engine. */
export class JobExecution {
  constructor(private readonly engine: WorkflowEngine) {}

  /** Submit, monitor and collect one job described by `input`. */
  run(input: JobExecutionInput, options: RunOptions = {}): Promise<WorkflowResult> {
    return runJobExecution(this.engine, input, options);
  }
}

function parse(input: JobExecutionInput): z.output<typeof JobExecutionInput> {
  const parsed = JobExecutionInput.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; ");
  throw new WorkflowError(ErrorCode.ConfigInvalid, `job_execution: invalid input: ${problems}.`, {
    details: { workflow: "job_execution" },
  });
}
