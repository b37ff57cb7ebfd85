import { renameSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import yargs, { type Argv } from "yargs";
import type { WorkflowEngine } from "../engine/workflow-engine.js";
import { parseAge } from "../engine/run-admin.js";
import { ErrorCode, WorkflowError } from "../model/errors.js";
import { GraphFormat, renderGraph } from "../plan/plan-graph.js";
import { RunStatus } from "../model/task-state.js";
import { sqliteFile } from "../persistence/open-persistence.js";
import { exitCodeForStatus } from "./exit-codes.js";
import { formatEvent, formatSummary, toJsonOutput } from "./output.js";
import { formatQueues } from "./queue-text.js";
import { ExecutorKind } from "../model/executor.js";

/** Where `runs` prints (main.ts's sinks make the text safe for a terminal) and how it opens the engine. */
export interface RunsIo {
  out(text: string): void;
  err(text: string): void;
  /** Opens the engine; a promise, so the caller can load the engine's modules only when a command needs them. */
  engine(flags: { workspace: string; logLevel: string; leaseSeconds?: number; executor?: ExecutorKind }): Promise<WorkflowEngine>;
}

const SUBCOMMANDS = [
  "list",
  "show",
  "resume",
  "approve",
  "reject",
  "history",
  "export",
  "delete",
  "prune",
  "watch",
  "graph",
  "cancel",
  "rollback",
] as const;
type Sub = (typeof SUBCOMMANDS)[number];

const USAGE = `node main.js runs <command> [options]

Commands:
  list [--status S] [--limit N]   the runs, newest first
  show <id>                        a run's tasks, statuses, results, errors and timings
  resume <id> [--wait [S]]         continue an unfinished run from its last checkpoint
  approve <id> [--task T]          approve the mutating tasks a paused run waits for, and continue it
  reject <id> [--task T] [--reason R]  reject them (they and their dependents are skipped), and continue
  cancel <id> [--reason R]         cancel an unfinished run, wherever it is driven (it ends failed, CANCELLED)
  rollback <id> [--dry-run]        undo a finished run: each task's compensation, newest first
  history <id> [--limit N]         the run's checkpoints (LangGraph time travel)
  export <id> [--out FILE]         everything about a run as JSON
  delete <id>                      delete a run's checkpoints and record
  prune --older-than 30d           delete runs last updated before then that nobody drives
  watch <id>                       follow a run's live events (needs REDIS_URL)
  graph <id> [--format mermaid|dot] the run's DAG, coloured by task status

Common options: --workspace DIR, --json, --log-level LEVEL

One process drives a run at a time (it holds the run's lease). resume, approve, reject and delete
refuse a run another process holds with RUN_BUSY (exit 2); --wait [SECONDS] waits for it instead
(no number: until it is free). --lease-seconds N (or LEASE_SECONDS, default 10): the lease's length.
--executor queue (or EXECUTOR=queue, with REDIS_URL): resume, approve and reject run the tasks on queue
workers, and show adds the task queues' depth and workers.`;

function parser(argv: string[], sub: Sub): Argv {
  return (
    yargs(argv)
      .scriptName(`node main.js runs ${sub}`)
      .option("workspace", { type: "string", default: "." })
      .option("json", { type: "boolean", default: false })
      .option("quiet", { type: "boolean", default: false })
      // Accepted like on a run: resume, approve and reject print their progress as plain lines already.
      .option("plain", { type: "boolean", default: false })
      .option("log-level", { type: "string", default: process.env.LOG_LEVEL || "warn" })
      .option("status", { choices: [...RunStatus] })
      .option("limit", { type: "number", default: 50 })
      .option("out", { type: "string" })
      .option("older-than", { type: "string" })
      .option("format", { choices: [...GraphFormat], default: "mermaid" })
      .option("task", { type: "string", array: true })
      .option("reason", { type: "string" })
      .option("by", { type: "string" })
      .option("wait", { type: "string" })
      .option("lease-seconds", { type: "number" })
      .option("dry-run", { type: "boolean", default: false })
      .option("executor", { choices: [...ExecutorKind] })
      .strictOptions()
      .version(false)
      .help(false)
      .exitProcess(false)
      .fail((msg, err) => {
        throw new WorkflowError(ErrorCode.ConfigInvalid, `${msg ?? err?.message}. Run \`node main.js runs --help\`.`);
      })
  );
}

/** `node main.js runs ...`: the run history. Returns the exit code. */
export async function runsCommand(argv: string[], io: RunsIo): Promise<number> {
  const sub = argv[0];
  if (sub === undefined) {
    io.err(USAGE);
    return 2;
  }
  if (sub === "--help" || sub === "help") {
    io.out(USAGE);
    return 0;
  }
  if (!(SUBCOMMANDS as readonly string[]).includes(sub)) {
    throw new WorkflowError(ErrorCode.ConfigInvalid, `Unknown runs command "${sub}". Commands: ${SUBCOMMANDS.join(", ")}.`);
  }
  const flags = (await parser(argv.slice(1), sub as Sub).parse()) as unknown as Flags;
  const id = flags._[0] === undefined ? undefined : String(flags._[0]);
  if (sub !== "list" && sub !== "prune" && !id)
    throw new WorkflowError(ErrorCode.ConfigInvalid, `runs ${sub} needs a run id: node main.js runs ${sub} <id>`);
  const leaseSeconds = flags["lease-seconds"];
  const engine = await io.engine({
    workspace: flags.workspace,
    logLevel: flags["log-level"],
    ...(leaseSeconds === undefined ? {} : { leaseSeconds }),
    ...(flags.executor ? { executor: flags.executor } : {}),
  });
  // Reading a history that was never written must not create it.
  if (READ_ONLY.has(sub as Sub) && !engine.historyExists()) {
    await engine.close();
    if (sub === "list") {
      io.out(flags.json ? "[]" : "No runs.");
      return 0;
    }
    throw new WorkflowError(
      ErrorCode.RunNotFound,
      `No run "${id}" in the run history (sqlite: ${sqliteFile(engine.stateDir)}). List the runs with: runs list`,
    );
  }
  try {
    return await HANDLERS[sub as Sub](engine, flags, id ?? "", io);
  } finally {
    await engine.close();
  }
}

/** Commands that only read the history. */
const READ_ONLY: ReadonlySet<Sub> = new Set<Sub>(["list", "show", "history", "export", "graph"]);

interface Flags {
  _: (string | number)[];
  workspace: string;
  json: boolean;
  quiet: boolean;
  "log-level": string;
  status?: RunStatus;
  limit: number;
  out?: string;
  "older-than"?: string;
  format: GraphFormat;
  task?: string[];
  reason?: string;
  by?: string;
  wait?: string;
  "lease-seconds"?: number;
  "dry-run": boolean;
  executor?: ExecutorKind;
}

type Handler = (engine: WorkflowEngine, flags: Flags, id: string, io: RunsIo) => Promise<number>;

const HANDLERS: Record<Sub, Handler> = {
  async list(engine, flags, _id, io) {
    const runs = await engine.listRuns({ limit: flags.limit, ...(flags.status ? { status: flags.status } : {}) });
    if (flags.json) io.out(JSON.stringify(engine.secrets.scrub(runs)));
    else if (runs.length === 0) io.out("No runs.");
    else
      for (const r of engine.secrets.scrub(runs))
        io.out(`${r.run_id}  ${r.status.padEnd(21)} ${r.created_at}  ${String(r.tasks_total ?? "-").padStart(4)} tasks  ${r.goal ?? ""}`);
    return 0;
  },
  async show(engine, flags, id, io) {
    const { result } = await engine.getRun(id);
    const queues = await engine.queueMetrics();
    if (flags.json) io.out(JSON.stringify({ ...toJsonOutput(result, engine.secrets), ...(queues ? { queues } : {}) }));
    else io.out(formatSummary(result, engine.secrets) + (queues ? `\n${formatQueues(queues)}` : ""));
    return 0;
  },
  async resume(engine, flags, id, io) {
    const result = await engine.resume(id, {
      ...waitOption(flags.wait),
      ...(flags.quiet || flags.json ? {} : { onEvent: (e) => io.err(formatEvent(e) ?? "") }),
    });
    io.out(flags.json ? JSON.stringify(toJsonOutput(result, engine.secrets)) : formatSummary(result, engine.secrets));
    return exitCodeForStatus(result.status);
  },
  approve: (engine, flags, id, io) => decide(engine, flags, id, io, true),
  async rollback(engine, flags, id, io) {
    if (flags["dry-run"]) {
      const steps = await engine.planRollback(id);
      if (flags.json) io.out(JSON.stringify(steps));
      else if (steps.length === 0) io.out(`Nothing of run ${id} to undo.`);
      else
        for (const s of steps)
          io.out(
            `undo ${s.task_id}: ${s.cannot ? `cannot: ${s.cannot}` : `${s.action_type} ${JSON.stringify(s.action_config)}`}${s.after.length ? ` (after ${s.after.join(", ")})` : ""}`,
          );
      return 0;
    }
    const result = await engine.rollback(id, {
      ...waitOption(flags.wait),
      ...(flags.quiet || flags.json ? {} : { onEvent: (e) => io.err(formatEvent(e) ?? "") }),
    });
    io.out(flags.json ? JSON.stringify(toJsonOutput(result, engine.secrets)) : formatSummary(result, engine.secrets));
    return result.status === "rolled_back" ? 0 : 1;
  },
  async cancel(engine, flags, id, io) {
    const outcome = await engine.cancel(id, flags.reason ?? `cancelled by ${userInfo().username} (runs cancel)`);
    io.out(
      outcome === "cancelled"
        ? `cancelled run ${id}`
        : `asked the process that drives run ${id} to cancel it; it does at its next lease renewal (see: runs show ${id})`,
    );
    return 0;
  },
  reject: (engine, flags, id, io) => decide(engine, flags, id, io, false),
  async history(engine, flags, id, io) {
    const checkpoints = engine.secrets.scrub(await engine.runHistory(id, flags.limit));
    if (flags.json) io.out(JSON.stringify(checkpoints));
    for (const c of flags.json ? [] : checkpoints) {
      const counts = Object.entries(c.tasks)
        .map(([s, n]) => `${s} ${n}`)
        .join(", ");
      io.out(`step ${String(c.step).padStart(4)}  ${c.checkpoint_id}  next: ${c.next.join(",") || "-"}  ${c.status ?? ""}  ${counts}`);
    }
    return 0;
  },
  async export(engine, flags, id, io) {
    const doc = `${JSON.stringify(engine.secrets.scrub(await engine.exportRun(id)), null, 2)}\n`;
    if (!flags.out) io.out(doc.trimEnd());
    else {
      writeFileSync(`${flags.out}.tmp`, doc);
      renameSync(`${flags.out}.tmp`, flags.out);
      io.err(`exported run ${id} to ${flags.out}`);
    }
    return 0;
  },
  async delete(engine, flags, id, io) {
    await engine.deleteRun(id, waitOption(flags.wait));
    io.out(`deleted run ${id}`);
    return 0;
  },
  async prune(engine, flags, _id, io) {
    const age = flags["older-than"] === undefined ? undefined : parseAge(flags["older-than"]);
    if (age === undefined) throw new WorkflowError(ErrorCode.ConfigInvalid, "runs prune needs --older-than AGE, e.g. 30d, 12h, 45m.");
    const ids = await engine.pruneRuns(new Date(Date.now() - age));
    io.out(
      flags.json ? JSON.stringify({ deleted: ids }) : `deleted ${ids.length} run(s) last updated more than ${flags["older-than"]} ago`,
    );
    return 0;
  },
  async graph(engine, flags, id, io) {
    const { result } = await engine.getRun(id);
    const statuses = Object.fromEntries(result.tasks.map((t) => [t.id, t.status]));
    io.out(renderGraph(flags.format, { tasks: result.tasks }, statuses));
    return 0;
  },
  async watch(engine, flags, id, io) {
    let status: string | undefined;
    const stream = engine.watch(id);
    if (!(await engine.hasRunEvents(id))) io.err(`No events of run ${id} yet; waiting for it to start (Ctrl-C to stop).`);
    for await (const found of stream) {
      const event = engine.secrets.scrub(found);
      io.out(flags.json ? JSON.stringify(event) : (formatEvent(event) ?? ""));
      if (event.type === "run_completed") status = event.status;
    }
    return status === "completed" ? 0 : 1;
  },
};

/** `runs approve|reject <id>`: continue a paused run with a person's decision (from any process). */
async function decide(engine: WorkflowEngine, flags: Flags, id: string, io: RunsIo, approve: boolean): Promise<number> {
  const by = flags.by ?? `${userInfo().username} (runs ${approve ? "approve" : "reject"})`;
  const decision = {
    approve,
    by,
    ...(flags.task ? { tasks: flags.task.map(String) } : {}),
    ...(flags.reason ? { reason: flags.reason } : {}),
  };
  const result = await engine.decide(id, decision, {
    ...waitOption(flags.wait),
    ...(flags.quiet || flags.json ? {} : { onEvent: (e) => io.err(formatEvent(e) ?? "") }),
  });
  io.out(flags.json ? JSON.stringify(toJsonOutput(result, engine.secrets)) : formatSummary(result, engine.secrets));
  return exitCodeForStatus(result.status);
}

/** `--wait [SECONDS]` as the engine's `wait` option: no number waits until the run is free. */
export function waitOption(text: string | undefined): { wait?: number } {
  if (text === undefined) return {};
  if (text.trim() === "") return { wait: Number.POSITIVE_INFINITY };
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new WorkflowError(
      ErrorCode.ConfigInvalid,
      `--wait takes a number of seconds, or nothing to wait until the run is free; got "${text}".`,
    );
  }
  return { wait: seconds };
}
