import { randomUUID } from "node:crypto";
import { emptyCheckpoint } from "@langchain/langgraph";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OneTripPostgresSaver } from "../../../src/persistence/postgres-one-trip-saver.js";
import { dropSchemas, PG_URL } from "../../fixtures/cli-child.js";

// The saver's writes read back through LangGraph's own reads (the stock saver's getTuple), as the stock saver's do.
const SCHEMA = `wfe_onetrip_${randomUUID().slice(0, 8)}`;
let pool: pg.Pool;
let saver: OneTripPostgresSaver;
beforeAll(async () => {
  pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
  saver = new OneTripPostgresSaver(pool, SCHEMA);
  await saver.setup();
});
afterAll(async () => {
  await pool.end();
  await dropSchemas(SCHEMA);
});

describe("OneTripPostgresSaver", () => {
  it("stores a checkpoint with its channel blobs, and a step's writes, as LangGraph reads them", async () => {
    const thread = { configurable: { thread_id: "t1", checkpoint_ns: "" } };
    const checkpoint = { ...emptyCheckpoint(), channel_values: { context: { status: "running" }, memory: { v: 1 } } };
    checkpoint.channel_versions = { context: 1, memory: 1 };
    const saved = await saver.put(thread, checkpoint, { source: "loop", step: 0, parents: {} }, { context: 1, memory: 1 });
    await saver.putWrites(
      saved,
      [
        ["tasks", { a: { status: "completed" } }],
        ["history", [{ event: "x" }]],
      ],
      "task-1",
    );
    const tuple = await saver.getTuple(saved);
    expect(tuple?.checkpoint.channel_values).toEqual({ context: { status: "running" }, memory: { v: 1 } });
    expect(tuple?.pendingWrites?.map(([task, channel]) => `${task} ${channel}`)).toEqual(["task-1 tasks", "task-1 history"]);
    // Written again (a retried step): kept once.
    await saver.putWrites(
      saved,
      [
        ["tasks", { a: { status: "completed" } }],
        ["history", [{ event: "x" }]],
      ],
      "task-1",
    );
    expect((await saver.getTuple(saved))?.pendingWrites).toHaveLength(2);
  });

  it("writes more rows than one statement holds in one transaction, every row kept", async () => {
    const thread = { configurable: { thread_id: "t2", checkpoint_ns: "" } };
    const saved = await saver.put(thread, emptyCheckpoint(), { source: "loop", step: 0, parents: {} }, {});
    const writes = Array.from({ length: 2500 }, (_, i) => [`ch${i}`, i] as [string, unknown]);
    await saver.putWrites(saved, writes, "wide");
    const stored = (await saver.getTuple(saved))?.pendingWrites ?? [];
    expect(stored).toHaveLength(2500);
    expect(stored.at(-1)).toEqual(["wide", "ch2499", 2499]);
  });
});
