import { writeFileSync } from "node:fs";
import path from "node:path";
import yargs from "yargs";
import { stringify as toYaml } from "yaml";
import type { WorkflowEngine } from "../engine/workflow-engine.js";
import { readWorkflowFile } from "../engine/workflow-file.js";
import { ErrorCode, WorkflowError } from "../model/errors.js";
import { parseWorkflowRef, workflowRef } from "../model/workflow-schema.js";
import type { RunsIo } from "./runs-command.js";
import { pickSubcommand } from "./subcommand.js";

const SUBCOMMANDS = ["list", "show", "search", "add", "validate", "remove", "suggest"] as const;
type Sub = (typeof SUBCOMMANDS)[number];

const USAGE = `node main.js workflows <command> [options]

Commands:
  list                       the workflows: newest version, every version, what each takes
  show NAME[@VERSION]        a workflow's definition (YAML; --json for JSON)
  search QUERY               workflows whose name, description, tags, inputs, action types or hosts match
  add FILE                   add a workflow file (YAML or JSON) to the library; name@version is immutable
  validate FILE              check a file as add would, adding nothing
  remove NAME@VERSION        remove an added version
  suggest [--min-runs 3] [--out DIR]
                             find task sequences that recur across past runs and write a parameterised
                             workflow file for each (default DIR: suggested-workflows)

Run one with: node main.js --workflow NAME[@VERSION] --input name=value ...
Common options: --workspace DIR, --json, --log-level LEVEL`;

interface Flags {
  _: (string | number)[];
  workspace: string;
  json: boolean;
  "log-level": string;
  "min-runs": number;
  out: string;
}

interface Ctx {
  engine: WorkflowEngine;
  arg: string;
  flags: Flags;
  io: RunsIo;
}

function parser(argv: string[], sub: Sub) {
  return yargs(argv)
    .scriptName(`node main.js workflows ${sub}`)
    .option("workspace", { type: "string", default: "." })
    .option("json", { type: "boolean", default: false })
    .option("log-level", { type: "string", default: process.env.LOG_LEVEL || "warn" })
    .option("min-runs", { type: "number", default: 3 })
    .option("out", { type: "string", default: "suggested-workflows" })
    .strictOptions()
    .version(false)
    .help(false)
    .exitProcess(false)
    .fail((msg, err) => {
      throw new WorkflowError(ErrorCode.ConfigInvalid, `${msg ?? err?.message}. Run \`node main.js workflows --help\`.`);
    });
}

const NEEDS_ARG: Partial<Record<Sub, string>> = {
  show: "NAME[@VERSION]",
  search: "QUERY",
  add: "FILE",
  validate: "FILE",
  remove: "NAME@VERSION",
};

/** `node main.js workflows ...`: the workflow library. Returns the exit code. */
export async function workflowsCommand(argv: string[], io: RunsIo): Promise<number> {
  const sub = pickSubcommand(argv, "workflows", SUBCOMMANDS, USAGE, io);
  if (typeof sub === "object") return sub.exit;
  const flags = (await parser(argv.slice(1), sub as Sub).parse()) as unknown as Flags;
  const arg = flags._.map(String).join(" ");
  const needs = NEEDS_ARG[sub as Sub];
  if (needs && !arg)
    throw new WorkflowError(ErrorCode.ConfigInvalid, `workflows ${sub} needs ${needs}: node main.js workflows ${sub} ${needs}`);
  if (!Number.isInteger(flags["min-runs"]) || flags["min-runs"] < 2 || flags["min-runs"] > 1000) {
    throw new WorkflowError(ErrorCode.ConfigInvalid, `--min-runs ${flags["min-runs"]} is not allowed: a whole number from 2 to 1000.`);
  }
  const engine = await io.engine({ workspace: flags.workspace, logLevel: flags["log-level"] });
  try {
    return await HANDLERS[sub as Sub]({ engine, arg, flags, io });
  } finally {
    await engine.close();
  }
}

const HANDLERS: Record<Sub, (ctx: Ctx) => Promise<number>> = {
  async list({ engine, flags, io }) {
    const all = await engine.library.list();
    if (flags.json) {
      io.out(JSON.stringify(all));
      return 0;
    }
    if (all.length === 0) io.out("No workflows.");
    const width = Math.max(0, ...all.map((w) => `${w.name}@${w.version}`.length));
    for (const w of all) {
      const inputs = Object.entries(w.inputs).map(([k, s]) => ((s.required ?? s.default === undefined) ? k : `[${k}]`));
      io.out(`${`${w.name}@${w.version}`.padEnd(width)}  ${w.description}`);
      io.out(`${" ".repeat(width)}  inputs: ${inputs.join(", ") || "(none)"}; versions: ${w.versions.join(", ")} (${w.source})`);
    }
    return 0;
  },
  async show({ engine, arg, flags, io }) {
    const { name, version } = parseWorkflowRef(arg);
    const def = await engine.library.get(name, version);
    io.out(flags.json ? JSON.stringify(def) : toYaml(def, { lineWidth: 120 }).trimEnd());
    return 0;
  },
  async search({ engine, arg, flags, io }) {
    const hits = await engine.library.search(arg);
    if (flags.json) io.out(JSON.stringify(hits));
    else if (hits.length === 0) io.out(`No workflow matches "${arg}".`);
    else for (const h of hits) io.out(`${h.name}@${h.version}  (${h.matched.join(", ")})  ${h.description}`);
    return 0;
  },
  async add({ engine, arg, flags, io }) {
    const { ref, outcome } = await engine.library.add(readWorkflowFile(arg), arg);
    io.out(
      flags.json
        ? JSON.stringify({ workflow: ref, outcome })
        : outcome === "added"
          ? `added ${ref}`
          : `${ref} is already in the library (same content)`,
    );
    return 0;
  },
  async validate({ engine, arg, flags, io }) {
    const def = await engine.library.validate(readWorkflowFile(arg), arg);
    io.out(flags.json ? JSON.stringify({ workflow: workflowRef(def), valid: true }) : `${arg}: ${workflowRef(def)} is valid`);
    return 0;
  },
  async remove({ engine, arg, io }) {
    const { name, version } = parseWorkflowRef(arg);
    if (!version)
      throw new WorkflowError(
        ErrorCode.ConfigInvalid,
        `workflows remove needs NAME@VERSION (a version is removed, not a name): got "${arg}".`,
      );
    await engine.library.remove(name, version);
    io.out(`removed ${name}@${version}`);
    return 0;
  },
  async suggest({ engine, flags, io }) {
    const suggestions = await engine.library.suggest({ minRuns: flags["min-runs"] });
    const dir = path.resolve(flags.workspace, flags.out);
    const written = suggestions.map((s) => {
      const file = path.join(dir, `${s.definition.name}.yaml`);
      return { ...s, file };
    });
    if (written.length) {
      const { mkdirSync } = await import("node:fs");
      mkdirSync(dir, { recursive: true });
      for (const s of written) writeFileSync(s.file, toYaml(s.definition, { lineWidth: 120 }));
    }
    if (flags.json)
      io.out(JSON.stringify(written.map((s) => ({ file: s.file, workflow: workflowRef(s.definition), runs: s.runs, run_ids: s.runIds }))));
    else if (written.length === 0) io.out(`No task sequence recurs in ${flags["min-runs"]} or more runs.`);
    else
      for (const s of written)
        io.out(
          `${s.file}: ${workflowRef(s.definition)}, seen in ${s.runs} runs (${s.definition.tasks.length} tasks, inputs: ${Object.keys(s.definition.inputs).join(", ") || "none"})`,
        );
    return 0;
  },
};
