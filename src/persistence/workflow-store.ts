import { ErrorCode, WorkflowError } from "../model/errors.js";

/** One workflow version kept in the run database: its definition as given (JSON), immutable once added. */
export interface StoredWorkflow {
  name: string;
  version: string;
  /** The definition's JSON text, exactly as added (compared byte for byte on a repeated add). */
  definition: string;
  added_at: string;
}

/** The library's database part (beside run records and schedules, in the same backend). */
export interface WorkflowStore {
  /**
   * Add a version: "added", or "unchanged" when that name@version is there with the same definition (adding is
   * idempotent). The same name@version with another definition is refused: WORKFLOW_EXISTS.
   */
  add(entry: StoredWorkflow): Promise<"added" | "unchanged">;
  get(name: string, version: string): Promise<StoredWorkflow | undefined>;
  /** Every version of every workflow. */
  list(): Promise<StoredWorkflow[]>;
  remove(name: string, version: string): Promise<boolean>;
}

/** What a repeated add of `entry` means, given what the store holds under its name@version. */
export function outcomeOfAdd(entry: StoredWorkflow, held: StoredWorkflow | undefined): "added" | "unchanged" {
  if (!held) return "added";
  if (held.definition === entry.definition) return "unchanged";
  throw new WorkflowError(
    ErrorCode.WorkflowExists,
    `${entry.name}@${entry.version} is already in the library (added ${held.added_at}) with other content; versions are immutable. ` +
      "Give the changed workflow a new version (e.g. raise its patch number) and add that.",
    { details: { name: entry.name, version: entry.version } },
  );
}

/** Workflows kept in memory (`persist: "memory"`). */
export class MemoryWorkflowStore implements WorkflowStore {
  private readonly entries = new Map<string, StoredWorkflow>();

  async add(entry: StoredWorkflow): Promise<"added" | "unchanged"> {
    const key = `${entry.name}@${entry.version}`;
    const outcome = outcomeOfAdd(entry, this.entries.get(key));
    if (outcome === "added") this.entries.set(key, entry);
    return outcome;
  }

  async get(name: string, version: string): Promise<StoredWorkflow | undefined> {
    return this.entries.get(`${name}@${version}`);
  }

  async list(): Promise<StoredWorkflow[]> {
    return [...this.entries.values()];
  }

  async remove(name: string, version: string): Promise<boolean> {
    return this.entries.delete(`${name}@${version}`);
  }
}
