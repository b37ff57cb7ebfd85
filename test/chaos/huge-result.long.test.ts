import { afterEach, beforeEach, describe, it } from "vitest";
import { makeTempDir } from "../fixtures/context.js";
import { expectHugeValueRefused } from "../fixtures/huge-db-value.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir("wf-chaos-result-long-"));
});
afterEach(async () => {
  await cleanup();
});

// Long: PostgreSQL takes 15-30 s to build a 600 MB value on a busy 2-core machine. test/chaos/huge-result.test.ts is the fast one.
describe("a huge db_query result on PostgreSQL fails its task; the process and the run go on (RESULT_TOO_LARGE)", () => {
  it("SELECT repeat('x', 600000000) beside a normal chain: refused by its size before it is decoded", async () => {
    // Before: pg-protocol threw ERR_STRING_TOO_LONG in the socket's data handler, an uncaught exception: the process
    // died with the run left "running", and a resume died the same way.
    await expectHugeValueRefused(dir, 600_000_000, [], 300_000);
  });
});
