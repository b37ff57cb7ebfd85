import yargs from "yargs";
import type { WorkflowEngine } from "../engine/workflow-engine.js";
import { ErrorCode, WorkflowError } from "../model/errors.js";
import { parseWorkflowRef } from "../model/workflow-schema.js";
import type { Schedule } from "../model/schedule.js";
import { nextDue, nextDues } from "../model/schedule-due-times.js";
import { parseScheduleInput } from "../plan/schedule-entry.js";
import { parseVariables } from "./args.js";
import { loadPlanFile } from "./load-plan.js";
import type { RunsIo } from "./runs-command.js";
import { firingsText, scheduleLine, scheduleText } from "./schedule-text.js";
import { pickSubcommand } from "./subcommand.js";

const SUBCOMMANDS = ["add", "list", "show", "delete", "pause", "resume"] as const;
type Sub = (typeof SUBCOMMANDS)[number];

const USAGE = `node main.js schedules <command> [options]

Commands:
  add --cron "0 2 * * *" (--goal G | --plan FILE | --workflow NAME [--input k=v])
      [--var k=v] [--tz Europe/Paris] [--overlap skip|allow] [--catch-up latest|none] [--id NAME]
                       store a schedule; \`serve\` fires it (prints its next 3 fire times)
  list [--json]        the schedules
  show <id> [--json]   a schedule and its recent firings
  delete <id>          delete a schedule
  pause <id>           stop firing it (until resume)
  resume <id>          fire it again (catch-up applies to the due times it missed)

--cron takes 5 fields (minute hour day month weekday) or 6 (seconds first), read in --tz (default UTC).
Each firing starts a run with the id <schedule id>:<fire time>, e.g. nightly:2026-11-30T02:00:00Z.
Common options: --workspace DIR, --json, --log-level LEVEL`;

interface Flags {
  _: (string | number)[];
  workspace: string;
  json: boolean;
  "log-level": string;
  cron?: string;
  goal?: string;
  plan?: string;
  workflow?: string;
  input?: string[];
  var?: string[];
  tz?: string;
  overlap?: string;
  "catch-up"?: string;
  id?: string;
}

/** Schedule fields as the flags that set them, for messages. */
const FLAG_OF: Record<string, string> = { catch_up: "--catch-up", variables: "--var", inputs: "--input" };
const flagName = (path: string) => {
  const [head = "", ...rest] = path.split(".");
  const flag = FLAG_OF[head] ?? `--${head}`;
  return rest.length ? `${flag} (${rest.join(".")})` : flag;
};

function parser(argv: string[], sub: Sub) {
  return yargs(argv)
    .scriptName(`node main.js schedules ${sub}`)
    .option("workspace", { type: "string", default: "." })
    .option("json", { type: "boolean", default: false })
    .option("log-level", { type: "string", default: process.env.LOG_LEVEL || "warn" })
    .option("cron", { type: "string" })
    .option("goal", { type: "string" })
    .option("plan", { type: "string" })
    .option("workflow", { type: "string" })
    .option("input", { type: "string", array: true })
    .option("var", { type: "string", array: true })
    .option("tz", { type: "string" })
    .option("overlap", { type: "string" })
    .option("catch-up", { type: "string" })
    .option("id", { type: "string" })
    .strictOptions()
    .version(false)
    .help(false)
    .exitProcess(false)
    .fail((msg, err) => {
      throw new WorkflowError(ErrorCode.ConfigInvalid, `${msg ?? err?.message}. Run \`node main.js schedules --help\`.`);
    });
}

/** `node main.js schedules ...`: the cron schedules `serve` fires. Returns the exit code. */
export async function schedulesCommand(argv: string[], io: RunsIo): Promise<number> {
  const sub = pickSubcommand(argv, "schedules", SUBCOMMANDS, USAGE, io);
  if (typeof sub === "object") return sub.exit;
  const flags = (await parser(argv.slice(1), sub as Sub).parse()) as unknown as Flags;
  const id = flags._[0] === undefined ? undefined : String(flags._[0]);
  if (sub !== "list" && sub !== "add" && !id) {
    throw new WorkflowError(ErrorCode.ConfigInvalid, `schedules ${sub} needs a schedule id: node main.js schedules ${sub} <id>`);
  }
  // Checked before the engine opens: a bad flag writes nothing.
  const added = sub === "add" ? await scheduleFromFlags(flags) : undefined;
  const engine = await io.engine({ workspace: flags.workspace, logLevel: flags["log-level"] });
  try {
    // Reading schedules that were never written must not create the history.
    if ((sub === "list" || sub === "show") && !engine.historyExists()) {
      if (sub === "list") {
        io.out(flags.json ? "[]" : "No schedules.");
        return 0;
      }
      throw notFound(id ?? "", engine);
    }
    return await HANDLERS[sub as Sub](engine, { flags, id: id ?? "", io, ...(added ? { added } : {}) });
  } finally {
    await engine.close();
  }
}

/** The schedule the flags of `add` describe; CONFIG_INVALID (exit 2) naming the flag, the value and what is allowed. */
async function scheduleFromFlags(flags: Flags): Promise<Schedule> {
  if (flags.cron === undefined) throw new WorkflowError(ErrorCode.ConfigInvalid, 'schedules add needs --cron, e.g. --cron "0 2 * * *".');
  const targets = [flags.goal, flags.plan, flags.workflow].filter((t) => t !== undefined).length;
  if (targets !== 1) {
    throw new WorkflowError(
      ErrorCode.ConfigInvalid,
      `give exactly one of --goal "...", --plan FILE or --workflow NAME (given ${targets}).`,
    );
  }
  if (flags.input?.length && flags.workflow === undefined) {
    throw new WorkflowError(ErrorCode.ConfigInvalid, "--input only applies with --workflow NAME.");
  }
  const raw = {
    cron: flags.cron,
    ...(flags.goal === undefined ? {} : { goal: flags.goal }),
    ...(flags.plan === undefined ? {} : { plan: await loadPlanFile(flags.plan) }),
    ...(flags.workflow === undefined ? {} : { workflow: flags.workflow, inputs: parseVariables(flags.input ?? []) }),
    ...(flags.var?.length ? { variables: parseVariables(flags.var) } : {}),
    ...(flags.tz === undefined ? {} : { tz: flags.tz }),
    ...(flags.overlap === undefined ? {} : { overlap: flags.overlap }),
    ...(flags["catch-up"] === undefined ? {} : { catch_up: flags["catch-up"] }),
    ...(flags.id === undefined ? {} : { id: flags.id }),
  };
  return parseScheduleInput(raw, { code: ErrorCode.ConfigInvalid, fieldName: flagName });
}

interface Call {
  flags: Flags;
  id: string;
  io: RunsIo;
  added?: Schedule;
}

const HANDLERS: Record<Sub, (engine: WorkflowEngine, call: Call) => Promise<number>> = {
  async add(engine, { flags, io, added }) {
    const schedule = added as Schedule;
    // A library workflow (a prebuilt one or an added one): it must exist now; its inputs are checked at each firing.
    if (schedule.workflow !== undefined) {
      const { name, version } = parseWorkflowRef(schedule.workflow);
      await engine.library.get(name, version).catch((err: unknown) => {
        throw new WorkflowError(ErrorCode.ConfigInvalid, `--workflow: ${(err as Error).message}`);
      });
    }
    try {
      await (await engine.scheduleStore()).add(schedule);
    } catch (err) {
      // A taken id is the user's input: bad input for the CLI (exit 2), as the store says it to the server.
      if (err instanceof WorkflowError && err.code === ErrorCode.InputInvalid)
        throw new WorkflowError(ErrorCode.ConfigInvalid, `--id: ${err.message}`);
      throw err;
    }
    const next = nextDues(schedule, new Date(), 3);
    if (flags.json) io.out(JSON.stringify({ ...engine.secrets.scrub(schedule), next_fire_times: next.map((d) => d.toISOString()) }));
    else io.out(`Schedule added:\n${scheduleText(engine.secrets.scrub(schedule), next)}\nIt fires while \`node main.js serve\` runs.`);
    return 0;
  },
  async list(engine, { flags, io }) {
    const schedules = engine.secrets.scrub(await (await engine.scheduleStore()).list());
    const now = new Date();
    if (flags.json)
      io.out(JSON.stringify(schedules.map((s) => ({ ...s, next_fire_at: s.paused ? null : (nextDue(s, now)?.toISOString() ?? null) }))));
    else if (schedules.length === 0) io.out("No schedules.");
    else for (const s of schedules) io.out(scheduleLine(s, nextDue(s, now)));
    return 0;
  },
  async show(engine, { flags, id, io }) {
    const store = await engine.scheduleStore();
    const schedule = await store.get(id);
    if (!schedule) throw notFound(id, engine);
    const [firings, next] = [await store.firings(id, 20), nextDues(schedule, new Date(), 3)];
    const shown = engine.secrets.scrub(schedule);
    if (flags.json) io.out(JSON.stringify({ ...shown, next_fire_times: next.map((d) => d.toISOString()), firings }));
    else io.out(`${scheduleText(shown, next)}\n  firings (newest first):\n${firingsText(firings)}`);
    return 0;
  },
  async delete(engine, { id, io }) {
    if (!(await (await engine.scheduleStore()).delete(id))) throw notFound(id, engine);
    io.out(`Schedule ${id} deleted.`);
    return 0;
  },
  pause: (engine, call) => setPaused(engine, call, true),
  resume: (engine, call) => setPaused(engine, call, false),
};

async function setPaused(engine: WorkflowEngine, { id, io }: Call, paused: boolean): Promise<number> {
  const schedule = await (await engine.scheduleStore()).setPaused(id, paused);
  if (!schedule) throw notFound(id, engine);
  io.out(`Schedule ${id} ${paused ? "paused" : "resumed"}.`);
  return 0;
}

/** SCHEDULE_NOT_FOUND (exit 2), naming the workspace looked in. */
function notFound(id: string, engine: WorkflowEngine): WorkflowError {
  return new WorkflowError(
    ErrorCode.ScheduleNotFound,
    `No schedule "${id}" in the workspace ${engine.workspace}. List the schedules with: node main.js schedules list`,
    { details: { schedule_id: id } },
  );
}
