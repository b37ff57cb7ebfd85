import type { Database } from "better-sqlite3";
import { outcomeOfAdd, type StoredWorkflow, type WorkflowStore } from "./workflow-store.js";

/** The workflow library's versions in the SQLite file that holds the runs. */
export class SqliteWorkflowStore implements WorkflowStore {
  constructor(private readonly db: Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS workflow_library (
      name TEXT NOT NULL, version TEXT NOT NULL, definition TEXT NOT NULL, added_at TEXT NOT NULL,
      PRIMARY KEY (name, version))`);
  }

  async add(entry: StoredWorkflow): Promise<"added" | "unchanged"> {
    // One statement decides: a second process adding the same version at once finds the first one's row.
    const inserted = this.db
      .prepare(
        "INSERT INTO workflow_library (name, version, definition, added_at) VALUES (@name, @version, @definition, @added_at) ON CONFLICT DO NOTHING",
      )
      .run(entry).changes;
    if (inserted > 0) return "added";
    return outcomeOfAdd(entry, await this.get(entry.name, entry.version));
  }

  async get(name: string, version: string): Promise<StoredWorkflow | undefined> {
    return this.db.prepare("SELECT * FROM workflow_library WHERE name = ? AND version = ?").get(name, version) as
      | StoredWorkflow
      | undefined;
  }

  async list(): Promise<StoredWorkflow[]> {
    return this.db.prepare("SELECT * FROM workflow_library ORDER BY name, version").all() as StoredWorkflow[];
  }

  async remove(name: string, version: string): Promise<boolean> {
    return this.db.prepare("DELETE FROM workflow_library WHERE name = ? AND version = ?").run(name, version).changes > 0;
  }
}
