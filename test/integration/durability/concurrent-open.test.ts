import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { WorkflowEngine } from "../../../src/engine/workflow-engine.js";
import { dropSchemas, PG_URL } from "../../fixtures/cli-child.js";
import { makeTempDir } from "../../fixtures/context.js";

// Engines (in real use: processes) that open a new PostgreSQL schema at once each create its tables; PostgreSQL
// does not serialise CREATE ... IF NOT EXISTS, so without a lock one of them fails on pg_type's unique index.
const PREFIX = `wfe_open_${randomUUID().slice(0, 8)}_`;
afterAll(() => dropSchemas(PREFIX));

describe("opening a new PostgreSQL run history from several engines at once", () => {
  it("every engine opens it (6 fresh schemas, 4 engines each)", async () => {
    const { dir, cleanup } = await makeTempDir("wf-open-");
    try {
      for (let trial = 0; trial < 6; trial++) {
        const engines = Array.from(
          { length: 4 },
          () =>
            new WorkflowEngine({
              workspace: dir,
              env: {},
              persist: "postgres",
              checkpointUrl: PG_URL,
              checkpointSchema: `${PREFIX}${trial}`,
            }),
        );
        const opened = await Promise.allSettled(engines.map((e) => e.listRuns()));
        await Promise.all(engines.map((e) => e.close()));
        const refused = opened.flatMap((o) => (o.status === "rejected" ? [String((o.reason as Error).message)] : []));
        expect(refused, refused.join("\n")).toEqual([]);
      }
    } finally {
      await cleanup();
    }
  });
});
