import type { Logger } from "../../utils/logger.js";
import { EXAMPLES } from "../../workflows/index.js";
import type { RunOptions } from "../engine/engine-options.js";
import type { WorkflowResult } from "../engine/result.js";
import { newRunId, type WorkflowEngine } from "../engine/workflow-engine.js";
import type { WorkflowCall } from "../engine/workflow-library.js";
import { ErrorCode, ensureWorkflowError, WorkflowError } from "../model/errors.js";
import type { PlanInput } from "../model/plan-schema.js";
import type { ApprovalDecision } from "../safety/approval/approval.js";
import { inputIssues } from "../model/zod-issues.js";
import { type RunSource, StartRunBody } from "./run-input.js";
import type { ScheduledRunInput } from "./schedule-runner.js";

/** What a run started by the server answers at once: its id, and that it runs. */
export interface Accepted {
  run_id: string;
  status: "running";
}

interface Driven {
  done: Promise<void>;
  suspend: AbortController;
}

type DriveOptions = Pick<RunOptions, "onAccepted" | "suspend">;

/**
 * The runs this server drives. Each call returns once the engine has accepted the run (planned, checked,
 * recorded, its lease held), or rejects with what stopped it before; the run then goes on in the background.
 * On shutdown, `drain` stops taking runs, gives those in flight a grace period, and suspends the rest at their
 * last checkpoint; `resumeOrphans` (at start) picks up runs that no process drives any more.
 */
export class RunService {
  private readonly driven = new Map<string, Driven>();
  private draining = false;

  constructor(
    private readonly engine: WorkflowEngine,
    private readonly logger: Logger,
    /** Base URL of the prebuilt workflows' API when a request gives none (`serve --demo`). */
    private readonly defaultSource?: string,
  ) {}

  /** Runs this server is driving now. */
  get inFlight(): number {
    return this.driven.size;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Start a run from a goal, a plan or a prebuilt workflow. */
  start(source: RunSource & { run_id?: string }): Promise<Accepted> {
    const runId = source.run_id ?? newRunId();
    const input = this.sourceOf(source);
    const variables = source.variables ?? {};
    return this.drive(runId, (o) => this.engine.run(input, { ...o, runId, variables }));
  }

  /** A schedule's firing: its target, checked like a request's, under the firing's run id. */
  startScheduled(input: ScheduledRunInput): Promise<Accepted> {
    const { schedule_id: _schedule, fire_at: _fireAt, ...source } = input;
    const parsed = StartRunBody.safeParse(source, { reportInput: true });
    if (!parsed.success) {
      const why = inputIssues(parsed.error)
        .map((i) => `${i.path}: ${i.message}`)
        .join("; ");
      return Promise.reject(new WorkflowError(ErrorCode.InputInvalid, `Schedule "${input.schedule_id}" cannot start a run: ${why}`));
    }
    return this.start(parsed.data);
  }

  /** A run's status; "planning" for one this server has taken but not yet recorded. */
  async statusOf(runId: string): Promise<string | undefined> {
    const record = await this.engine.runRecord(runId);
    if (record) return record.status;
    return this.driven.has(runId) ? "planning" : undefined;
  }

  resume(runId: string): Promise<Accepted> {
    return this.drive(runId, (o) => this.engine.resume(runId, o));
  }

  /** Undo a finished run (its compensations, newest first). */
  rollback(runId: string): Promise<Accepted> {
    return this.drive(runId, (o) => this.engine.rollback(runId, o));
  }

  decide(runId: string, decision: ApprovalDecision): Promise<Accepted> {
    return this.drive(runId, (o) => this.engine.decide(runId, decision, o));
  }

  /** Stop taking runs; wait up to `graceMs` for those in flight; suspend what is left at its last checkpoint. */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    const all = () => Promise.allSettled([...this.driven.values()].map((d) => d.done));
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<"grace over">((resolve) => {
      timer = setTimeout(() => resolve("grace over"), graceMs);
    });
    const first = await Promise.race([all().then(() => "done" as const), graceOver]);
    clearTimeout(timer);
    if (first === "grace over") {
      this.logger.info({ runs: this.driven.size }, "grace period over: suspending the runs in flight at their last checkpoint");
      for (const d of this.driven.values()) d.suspend.abort("the server is shutting down");
      await all();
    }
  }

  /** Resume, in the background, every run recorded as running that no process drives (a restart's leftovers). */
  async resumeOrphans(): Promise<string[]> {
    const resumed: string[] = [];
    for (const record of await this.engine.listRuns({ status: "running", limit: 500 })) {
      if (this.driven.has(record.run_id)) continue;
      try {
        await this.resume(record.run_id);
        resumed.push(record.run_id);
      } catch (err) {
        const e = ensureWorkflowError(err);
        // Another server (or CLI) drives it, or it ended meanwhile: not ours to pick up.
        if (e.code !== ErrorCode.RunBusy && e.code !== ErrorCode.RunFinished) {
          this.logger.warn({ runId: record.run_id, code: e.code, err: e.message }, "could not resume a run left in flight");
        }
      }
    }
    if (resumed.length) this.logger.info({ runs: resumed }, "resumed the runs left in flight");
    return resumed;
  }

  /**
   * The goal, plan or library workflow a request names. A prebuilt example given no inputs but `source` (or none,
   * under `serve --demo`) runs against that API with the example's inputs, as before the library.
   */
  sourceOf(source: RunSource): string | PlanInput | WorkflowCall {
    if (source.goal !== undefined) return source.goal;
    if (source.plan !== undefined) return source.plan as PlanInput;
    const workflow = source.workflow as string;
    const inputs = source.inputs ?? {};
    const asExample = Object.hasOwn(EXAMPLES, workflow) && Object.keys(inputs).every((k) => k === "source");
    if (!asExample) return { workflow, inputs };
    const name = workflow as keyof typeof EXAMPLES;
    const base = (typeof inputs.source === "string" ? inputs.source : undefined) ?? this.defaultSource;
    if (base === undefined) {
      throw new WorkflowError(
        ErrorCode.InputInvalid,
        `inputs.source: missing; workflow "${name}" needs the base URL of the API it calls (or start the server with --demo to use the demo API).`,
      );
    }
    if (!/^https?:\/\//i.test(base)) {
      throw new WorkflowError(ErrorCode.InputInvalid, `inputs.source: ${JSON.stringify(base).slice(0, 80)} is not an http(s) URL.`);
    }
    return { workflow: name, inputs: EXAMPLES[name].inputs(base) };
  }

  /** Drive a run in the background; resolves when the engine accepts it, rejects with what refused it first. */
  private drive(runId: string, call: (options: DriveOptions) => Promise<WorkflowResult>): Promise<Accepted> {
    if (this.draining) {
      return Promise.reject(
        new WorkflowError(ErrorCode.ServerDraining, "The server is shutting down and takes no new work; try another server."),
      );
    }
    if (this.driven.has(runId))
      return Promise.reject(new WorkflowError(ErrorCode.RunBusy, `Run "${runId}" is being driven by this server.`));
    return new Promise<Accepted>((resolve, reject) => {
      let accepted = false;
      const suspend = new AbortController();
      const onAccepted = () => {
        accepted = true;
        resolve({ run_id: runId, status: "running" });
      };
      const done = call({ onAccepted, suspend: suspend.signal }).then(
        (result) => this.logger.info({ runId, status: result.status }, "run ended"),
        (err: unknown) => {
          const e = ensureWorkflowError(err);
          if (!accepted) reject(e);
          else if (e.code === ErrorCode.RunSuspended) this.logger.info({ runId }, "run suspended; a server resumes it on start");
          else this.logger.warn({ runId, code: e.code, err: e.message }, "run stopped on an error");
        },
      );
      const entry = { done: done.finally(() => this.driven.delete(runId)), suspend };
      this.driven.set(runId, entry);
    });
  }
}
