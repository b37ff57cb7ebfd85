import { afterEach, beforeEach, describe, it } from "vitest";
import { makeTempDir } from "../fixtures/context.js";
import { expectHugeValueRefused } from "../fixtures/huge-db-value.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir("wf-chaos-result-"));
});
afterEach(async () => {
  await cleanup();
});

describe("a huge db_query result on PostgreSQL fails its task; the process and the run go on (RESULT_TOO_LARGE)", () => {
  it("a 20 MB value over --max-result-bytes 1 MiB beside a normal chain: refused by its size, the chain completes", async () => {
    // Before: no byte cap; the whole value was read into memory and stored in the run's state.
    await expectHugeValueRefused(dir, 20_000_000, ["--max-result-bytes", "1048576"], 120_000);
  });
});
