import { ErrorCode, WorkflowError, WorkflowValidationError } from "../model/errors.js";
import type { Plan } from "../model/plan-schema.js";
import type { LibraryCard } from "../model/planner.js";
import { compareVersions, type WorkflowDefinition, type WorkflowInputSpec, workflowRef } from "../model/workflow-schema.js";
import type { WorkflowStore } from "../persistence/workflow-store.js";
import { checkWorkflow, compileWorkflow, pinWorkflowCalls, type WorkflowLookup } from "../plan/workflow-plan.js";
import { isRequired } from "../plan/workflow-inputs.js";
import { parseWorkflowValue, readWorkflowFile, workflowFilesIn } from "./workflow-file.js";
import { type SearchHit, searchWorkflows } from "./workflow-search.js";
import { type PastRun, type Suggestion, suggestWorkflows } from "./workflow-suggest.js";

/** One version in the library, and where it comes from: a file of the workflows folder, or added to the database. */
export interface LibraryEntry {
  definition: WorkflowDefinition;
  source: "file" | "added";
  /** The file, for a workflow from the folder. */
  file?: string;
  added_at?: string;
}

/** A workflow as `list` shows it: its newest version, every version, what it does and takes. */
export interface WorkflowSummary {
  name: string;
  version: string;
  versions: string[];
  description: string;
  inputs: Record<string, WorkflowInputSpec>;
  outputs: string[];
  source: "file" | "added";
}

/** How to call a library workflow: `engine.run({ workflow: "name" | "name@1.0.0", inputs })`. */
export interface WorkflowCall {
  workflow: string;
  version?: string;
  inputs?: Record<string, unknown>;
}

/** True when `value` asks for a library workflow rather than being a plan. */
export function isWorkflowCall(value: unknown): value is WorkflowCall {
  return typeof value === "object" && value !== null && typeof (value as WorkflowCall).workflow === "string" && !("tasks" in value);
}

/**
 * The workflow library: the files of a folder (the package's workflows/ by default) plus the versions added to
 * the run database. Versions are immutable: a file's name@version cannot be added with other content, and an
 * added version is never changed, only removed.
 */
export class WorkflowLibrary {
  private files: LibraryEntry[] | undefined;

  /**
   * `store(false)` gives the database part for reading, or undefined when the run history was never written (so
   * that planning a goal leaves no trace); `store(true)` opens it, creating it if need be.
   */
  constructor(
    private readonly store: (create: boolean) => Promise<WorkflowStore | undefined>,
    private readonly folder: string | undefined,
    private readonly history: () => Promise<PastRun[]> = async () => [],
  ) {}

  /** Every version, files first. */
  async entries(): Promise<LibraryEntry[]> {
    this.files ??= this.folder
      ? workflowFilesIn(this.folder).map((file) => ({ definition: readWorkflowFile(file), source: "file" as const, file }))
      : [];
    const added = ((await (await this.store(false))?.list()) ?? []).map((s) => ({
      definition: parseWorkflowValue(JSON.parse(s.definition), `${s.name}@${s.version} (library)`),
      source: "added" as const,
      added_at: s.added_at,
    }));
    return [...this.files, ...added];
  }

  private async writable(): Promise<WorkflowStore> {
    return (await this.store(true)) as WorkflowStore;
  }

  /** One line per workflow name: its newest version and every version. */
  async list(): Promise<WorkflowSummary[]> {
    const byName = new Map<string, LibraryEntry[]>();
    for (const e of await this.entries()) byName.set(e.definition.name, [...(byName.get(e.definition.name) ?? []), e]);
    return [...byName.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, all]) => {
        const sorted = all.sort((a, b) => compareVersions(a.definition.version, b.definition.version));
        const newest = sorted[sorted.length - 1] as LibraryEntry;
        const d = newest.definition;
        return {
          name,
          version: d.version,
          versions: sorted.map((e) => e.definition.version),
          description: d.description,
          inputs: d.inputs,
          outputs: Object.keys(d.outputs),
          source: newest.source,
        };
      });
  }

  /** A synchronous lookup over the library as it is now (and `extra`, a definition being added). */
  async lookup(extra?: WorkflowDefinition): Promise<WorkflowLookup> {
    const all = (await this.entries()).map((e) => e.definition);
    if (extra) all.push(extra);
    return (name, version) => {
      const versions = all.filter((d) => d.name === name && (version === undefined || d.version === version));
      return versions.sort((a, b) => compareVersions(b.version, a.version))[0];
    };
  }

  /** `name` (its newest version) or `name@version`; WORKFLOW_NOT_FOUND naming what there is. */
  async get(name: string, version?: string): Promise<WorkflowDefinition> {
    const found = (await this.lookup())(name, version);
    if (found) return found;
    const names = (await this.list()).map((s) => s.name);
    const versions = (await this.list()).find((s) => s.name === name)?.versions;
    throw new WorkflowError(
      ErrorCode.WorkflowNotFound,
      versions
        ? `No version ${version} of the workflow "${name}"; its versions: ${versions.join(", ")}.`
        : `No workflow "${name}" in the library; the workflows: ${names.join(", ") || "(none)"}. See: workflows list`,
      { details: { name, ...(version ? { version } : {}) } },
    );
  }

  /** Check a definition as `add` would, without adding it: the schema, then everything checkWorkflow finds. */
  async validate(raw: unknown, source = "(given)"): Promise<WorkflowDefinition> {
    const def = parseWorkflowValue(raw, source);
    const issues = checkWorkflow(def, await this.lookup(def));
    if (issues.length) throw new WorkflowValidationError(`The workflow ${workflowRef(def)} (${source})`, issues);
    return def;
  }

  /** Add a version to the database; "unchanged" when it is there with the same content. */
  async add(raw: unknown, source = "(given)"): Promise<{ ref: string; outcome: "added" | "unchanged" }> {
    const def = await this.validate(raw, source);
    const file = (this.files ?? []).find((e) => e.definition.name === def.name && e.definition.version === def.version);
    if (file) {
      const same = JSON.stringify(file.definition) === JSON.stringify(def);
      if (same) return { ref: workflowRef(def), outcome: "unchanged" };
      throw new WorkflowError(
        ErrorCode.WorkflowExists,
        `${workflowRef(def)} is the prebuilt workflow ${file.file}; give yours another version or name.`,
      );
    }
    const outcome = await (await this.writable()).add({
      name: def.name,
      version: def.version,
      definition: JSON.stringify(def),
      added_at: new Date().toISOString(),
    });
    return { ref: workflowRef(def), outcome };
  }

  /** Remove an added version (files of the workflows folder are removed by deleting the file). */
  async remove(name: string, version: string): Promise<void> {
    await this.entries();
    if ((this.files ?? []).some((e) => e.definition.name === name && e.definition.version === version)) {
      throw new WorkflowError(
        ErrorCode.ConfigInvalid,
        `${name}@${version} is a file of the workflows folder, not an added version; it cannot be removed here.`,
      );
    }
    if (!(await (await this.writable()).remove(name, version))) await this.get(name, version);
  }

  /** Workflows matching the words of `query` (name, description, tags, inputs, action types, hosts), best first. */
  async search(query: string): Promise<SearchHit[]> {
    const newest = await Promise.all((await this.list()).map((s) => this.get(s.name, s.version)));
    return searchWorkflows(newest, query);
  }

  /**
   * Workflows learned from history: task sequences that recur in at least `minRuns` past runs, parameterised
   * (see workflow-suggest.ts), each checked as `add` would check it.
   */
  async suggest(options: { minRuns?: number } = {}): Promise<Suggestion[]> {
    const suggestions = suggestWorkflows(await this.history(), options.minRuns ?? 3);
    for (const s of suggestions) await this.validate(s.definition, `suggestion ${s.definition.name}`);
    return suggestions;
  }

  /** What planners see: each workflow's newest version, its description and inputs. */
  async cards(): Promise<LibraryCard[]> {
    return (await this.list()).map((w) => ({
      name: w.name,
      version: w.version,
      description: w.description,
      inputs: Object.fromEntries(
        Object.entries(w.inputs).map(([k, spec]) => [
          k,
          { type: spec.type, required: isRequired(spec), ...(spec.description ? { description: spec.description } : {}) },
        ]),
      ),
    }));
  }

  /** A plan's `workflow` tasks checked against the library and pinned to the versions they will run. */
  async pinCalls(plan: Plan): Promise<Plan> {
    if (!plan.tasks.some((t) => t.action_type === "workflow")) return plan;
    return pinWorkflowCalls(plan, await this.lookup());
  }

  /** The validated plan a call runs (inputs checked, sub-workflow versions pinned). */
  async plan(call: WorkflowCall): Promise<Plan> {
    const [name, atVersion] = call.workflow.includes("@") ? call.workflow.split("@", 2) : [call.workflow, undefined];
    const def = await this.get(name as string, call.version ?? atVersion);
    return compileWorkflow(def, call.inputs ?? {}, await this.lookup());
  }
}
