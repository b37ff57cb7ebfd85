import type { Logger } from "../../utils/logger.js";
import { clampDelay } from "../../utils/timer.js";
import { ErrorCode, ensureWorkflowError } from "../model/errors.js";
import { type FiringOutcome, firingRunId, type Schedule } from "../model/schedule.js";
import { dueTimes, nextDue } from "../model/schedule-due-times.js";
import type { ScheduleStore } from "../persistence/schedule-store.js";

/** What a firing asks the run service to start: the schedule's target, under the firing's deterministic run id. */
export interface ScheduledRunInput {
  goal?: string;
  plan?: Record<string, unknown>;
  workflow?: string;
  inputs?: Record<string, unknown>;
  variables?: Record<string, unknown>;
  run_id: string;
  schedule_id: string;
  /** The due time fired (ISO). */
  fire_at: string;
}

export interface ScheduleRunnerOptions {
  store: ScheduleStore;
  /** Starts a run (the server's run service); throws RUN_EXISTS / RUN_FINISHED / RUN_BUSY when the id is taken. */
  startRun(input: ScheduledRunInput): Promise<unknown>;
  /**
   * A run's status, or undefined when there is no such run. A run the service has accepted but not yet recorded
   * (still planning) must answer "planning", or `overlap: skip` cannot see it.
   */
  runStatus(runId: string): Promise<string | undefined>;
  logger: Logger;
  /** The longest wait between ticks, so schedules other processes add are seen (default 15 s). */
  pollSeconds?: number;
  /** Under `catch_up: none`, how late a due time may still fire (default 60 s): a late tick is not downtime. */
  graceSeconds?: number;
  /** A firing claimed but still not started after this long (its runner died) is started again (default 60 s). */
  staleClaimSeconds?: number;
  /** The clock the timer's ticks read (tests call `tick(now)` instead). */
  clock?: () => Date;
}

/** A run that exists in some state, as the run service says when asked to start it again. */
const TAKEN: ReadonlySet<string> = new Set([ErrorCode.RunExists, ErrorCode.RunFinished, ErrorCode.RunBusy]);
const UNFINISHED: ReadonlySet<string> = new Set(["planning", "running", "awaiting_approval"]);
/** The shortest wait between timer ticks: a due time a hair away is not worth a tight loop. */
const MIN_DELAY_MS = 20;

/**
 * Fires the schedules: each tick reads every schedule, works out what is due (src/model/schedule-due-times.ts),
 * claims each due time in the store (one insert per schedule and due time: of all runners, exactly one wins)
 * and starts the run under the id `<schedule>:<fire time>`. A claim is taken before the run starts, so a crash in
 * between leaves a `claimed` firing that a later tick starts again, under the same id (the run service refuses
 * a second start of it). A tick never throws: what fails is logged and the next tick tries again.
 */
export class ScheduleRunner {
  private readonly pollMs: number;
  private readonly graceMs: number;
  private readonly staleMs: number;
  private readonly clock: () => Date;
  private ticking: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** The earliest due time seen by the last tick; the timer wakes for it. */
  private soonest: number | undefined;
  private failed = false;

  constructor(private readonly options: ScheduleRunnerOptions) {
    // Clamped to what setTimeout honours: a longer delay would fire at once, and again, in a tight loop.
    this.pollMs = Math.max(MIN_DELAY_MS, clampDelay((options.pollSeconds ?? 15) * 1000));
    this.graceMs = (options.graceSeconds ?? 60) * 1000;
    this.staleMs = (options.staleClaimSeconds ?? 60) * 1000;
    this.clock = options.clock ?? (() => new Date());
  }

  /** Tick now, then at each next due time (at most `pollSeconds` apart). The timer does not keep the process alive. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.arm(0);
  }

  /** Look at the schedules now (one was added or resumed here), then go on as before. */
  wake(): void {
    if (!this.running) return;
    clearTimeout(this.timer);
    this.arm(0);
  }

  /** Stop the timer and wait for a tick in progress. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.ticking;
  }

  /** Fire what is due at `now`. Ticks run one at a time; a tick never throws. */
  tick(now: Date = this.clock()): Promise<void> {
    const next = this.ticking
      .then(() => this.tickOnce(now))
      .catch((err: unknown) => this.logFailure(err, {}, "schedules: the tick failed"));
    this.ticking = next;
    return next;
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tick().then(() => {
        if (this.running) this.arm(this.nextDelay());
      });
    }, delayMs);
    this.timer.unref();
  }

  private nextDelay(): number {
    if (this.failed || this.soonest === undefined) return this.pollMs;
    // A few ms past the due time: a timer that fires a hair early would find nothing due yet.
    const wait = this.soonest - this.clock().getTime() + 5;
    return Math.min(this.pollMs, Math.max(MIN_DELAY_MS, wait));
  }

  private async tickOnce(now: Date): Promise<void> {
    this.failed = false;
    this.soonest = undefined;
    let schedules: Schedule[];
    try {
      schedules = await this.options.store.list();
    } catch (err) {
      return this.logFailure(err, {}, "schedules: cannot read the schedules");
    }
    for (const schedule of schedules) {
      if (schedule.paused) continue;
      try {
        await this.fireDue(schedule, now);
        this.noteNext(schedule, now);
      } catch (err) {
        this.logFailure(err, { schedule_id: schedule.id }, "schedules: a firing failed; the next tick tries again");
      }
    }
    try {
      await this.restartStaleClaims(now);
    } catch (err) {
      this.logFailure(err, {}, "schedules: cannot restart the firings left claimed");
    }
  }

  private async fireDue(schedule: Schedule, now: Date): Promise<void> {
    const { store, logger } = this.options;
    const from = new Date(schedule.last_fire_at ?? schedule.created_at);
    const due = dueTimes(schedule, from, now, this.graceMs);
    for (const missed of due.missed) {
      await store.claimFiring({ schedule_id: schedule.id, fire_at: missed, outcome: "missed", claimed_at: now });
    }
    if (due.missed.length) {
      logger.warn({ schedule_id: schedule.id, missed: due.missed.map((t) => t.toISOString()) }, "schedules: due times passed over");
    }
    if (due.fire) await this.fire(schedule, due.fire, now);
    else if (due.missed[0]) await store.recordFired(schedule.id, due.missed[0]);
  }

  private async fire(schedule: Schedule, fireAt: Date, now: Date): Promise<void> {
    const { store, logger } = this.options;
    const base = { schedule_id: schedule.id, fire_at: fireAt, claimed_at: now };
    if (schedule.overlap === "skip" && schedule.last_run_id && (await this.isUnfinished(schedule.last_run_id))) {
      if (await store.claimFiring({ ...base, outcome: "skipped_overlap" })) {
        logger.info(
          { schedule_id: schedule.id, fire_at: fireAt.toISOString(), running: schedule.last_run_id },
          "schedules: skipped, the last run is still going",
        );
      }
      await store.recordFired(schedule.id, fireAt);
      return;
    }
    const runId = firingRunId(schedule.id, fireAt);
    const won = await store.claimFiring({ ...base, run_id: runId, outcome: "claimed" });
    if (!won) {
      // Another runner has this due time: move on from it too (the winner records its run id).
      await store.recordFired(schedule.id, fireAt);
      return;
    }
    await store.recordFired(schedule.id, fireAt, runId);
    await this.startFiring(schedule, fireAt, runId);
  }

  /** Start the firing's run and write down how it went; a run already there (started before a crash) counts as started. */
  private async startFiring(schedule: Schedule, fireAt: Date, runId: string): Promise<void> {
    const { store, logger } = this.options;
    let outcome: FiringOutcome = "started";
    try {
      await this.options.startRun(runInput(schedule, fireAt, runId));
      logger.info({ schedule_id: schedule.id, run_id: runId }, "schedules: run started");
    } catch (err) {
      const e = ensureWorkflowError(err);
      if (!TAKEN.has(e.code)) {
        outcome = "failed";
        logger.error({ schedule_id: schedule.id, run_id: runId, code: e.code, err: e.message }, "schedules: the run did not start");
      }
    }
    await store.setFiringOutcome(schedule.id, fireAt, outcome);
  }

  private async restartStaleClaims(now: Date): Promise<void> {
    const { store } = this.options;
    for (const claim of await store.staleClaims(new Date(now.getTime() - this.staleMs))) {
      const schedule = await store.get(claim.schedule_id);
      if (!schedule || !claim.run_id) {
        await store.setFiringOutcome(claim.schedule_id, new Date(claim.fire_at), "failed");
        continue;
      }
      await this.startFiring(schedule, new Date(claim.fire_at), claim.run_id);
    }
  }

  private async isUnfinished(runId: string): Promise<boolean> {
    return UNFINISHED.has((await this.options.runStatus(runId)) ?? "");
  }

  private noteNext(schedule: Schedule, now: Date): void {
    const next = nextDue(schedule, now)?.getTime();
    if (next !== undefined && (this.soonest === undefined || next < this.soonest)) this.soonest = next;
  }

  private logFailure(err: unknown, bindings: Record<string, unknown>, message: string): void {
    this.failed = true;
    const e = ensureWorkflowError(err);
    this.options.logger.error({ ...bindings, code: e.code, err: e.message }, message);
  }
}

/** The run a firing starts: the schedule's one target, its variables, and the firing's id. */
function runInput(schedule: Schedule, fireAt: Date, runId: string): ScheduledRunInput {
  const { goal, plan, workflow, inputs, variables } = schedule;
  return {
    ...(goal === undefined ? {} : { goal }),
    ...(plan === undefined ? {} : { plan }),
    ...(workflow === undefined ? {} : { workflow, inputs: inputs ?? {} }),
    ...(variables === undefined ? {} : { variables }),
    run_id: runId,
    schedule_id: schedule.id,
    fire_at: fireAt.toISOString(),
  };
}
