import type pg from "pg";
import { outcomeOfAdd, type StoredWorkflow, type WorkflowStore } from "./workflow-store.js";

/** The workflow library's versions in a PostgreSQL schema, beside the run records. */
export class PostgresWorkflowStore implements WorkflowStore {
  private readonly table: string;

  private constructor(
    private readonly pool: pg.Pool,
    schema: string,
  ) {
    this.table = `"${schema}".workflow_library`;
  }

  /** Create the table if needed (under the set-up lock of open-persistence.ts). */
  static async open(pool: pg.Pool, schema: string): Promise<PostgresWorkflowStore> {
    const store = new PostgresWorkflowStore(pool, schema);
    await pool.query(`CREATE TABLE IF NOT EXISTS ${store.table} (
      name TEXT NOT NULL, version TEXT NOT NULL, definition TEXT NOT NULL, added_at TIMESTAMPTZ NOT NULL,
      PRIMARY KEY (name, version))`);
    return store;
  }

  async add(entry: StoredWorkflow): Promise<"added" | "unchanged"> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO ${this.table} (name, version, definition, added_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [entry.name, entry.version, entry.definition, entry.added_at],
    );
    if ((rowCount ?? 0) > 0) return "added";
    return outcomeOfAdd(entry, await this.get(entry.name, entry.version));
  }

  async get(name: string, version: string): Promise<StoredWorkflow | undefined> {
    const { rows } = await this.pool.query(`SELECT * FROM ${this.table} WHERE name = $1 AND version = $2`, [name, version]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async list(): Promise<StoredWorkflow[]> {
    const { rows } = await this.pool.query(`SELECT * FROM ${this.table} ORDER BY name, version`);
    return rows.map(fromRow);
  }

  async remove(name: string, version: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(`DELETE FROM ${this.table} WHERE name = $1 AND version = $2`, [name, version]);
    return (rowCount ?? 0) > 0;
  }
}

function fromRow(row: Record<string, unknown>): StoredWorkflow {
  const at = row.added_at;
  return {
    name: String(row.name),
    version: String(row.version),
    definition: String(row.definition),
    added_at: at instanceof Date ? at.toISOString() : String(at),
  };
}
