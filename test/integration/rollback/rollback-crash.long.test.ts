import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { runCli } from "../../fixtures/cli.js";
import { chaosBackend, dropSchemas, spawnCli } from "../../fixtures/cli-child.js";
import { WorkflowEngine } from "../../../src/engine/workflow-engine.js";
import { makeTempDir } from "../../fixtures/context.js";
import { startRecordsApi } from "../../fixtures/records-api.js";

// kill -9 during the compensation phase, then `runs resume`: the rollback finishes, and every compensation's
// effect happens exactly once (a compensation in flight at the kill may be delivered again, with the same
// Idempotency-Key, which the API answers without acting twice).
const SCHEMA = `wfe_rbcrash_${randomBytes(4).toString("hex")}_`;
afterAll(() => dropSchemas(SCHEMA));
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Three records created in parallel, a file overwritten after them, then a call that fails. */
function plan(base: string) {
  const create = (n: number) => ({
    id: `create${n}`,
    action_type: "api_call",
    action_config: { method: "POST", url: `${base}/records`, body: { n } },
    compensate: { action_type: "api_call", action_config: { method: "DELETE", url: `${base}/records/{{self.data.id}}` } },
  });
  return {
    on_failure: "compensate",
    tasks: [
      create(1),
      create(2),
      create(3),
      {
        id: "overwrite",
        action_type: "file_operation",
        action_config: { operation: "write", path: "data.txt", content: "changed" },
        dependencies: ["create1", "create2", "create3"],
      },
      {
        id: "fails",
        action_type: "api_call",
        action_config: { url: `${base}/broken` },
        dependencies: ["overwrite"],
        retry: { max_attempts: 1 },
      },
    ],
  };
}

/** Kill points: the n-th DELETE (a compensation) reaching the API, while it is in flight. */
const TRIALS: { backend: "sqlite" | "postgres"; killAtDelete: number }[] = [
  { backend: "sqlite", killAtDelete: 1 },
  { backend: "sqlite", killAtDelete: 2 },
  { backend: "sqlite", killAtDelete: 3 },
  { backend: "postgres", killAtDelete: 1 },
  { backend: "postgres", killAtDelete: 3 },
];

describe("kill -9 during the compensation phase, then resume", () => {
  it.each(TRIALS)(
    "$backend, killed at compensation call $killAtDelete: rolled_back, each compensation's effect once",
    async ({ backend, killAtDelete }) => {
      const { dir: ws, cleanup } = await makeTempDir("wf-rbcrash-");
      cleanups.push(cleanup);
      await writeFile(path.join(ws, "data.txt"), "original");
      const store = chaosBackend(backend, `${SCHEMA}${killAtDelete}`);
      let deletes = 0;
      let kill: (() => void) | undefined;
      const api = await startRecordsApi((method) => {
        if (method !== "DELETE") return 0;
        if (++deletes === killAtDelete) kill?.();
        return 300;
      });
      cleanups.push(() => api.close());
      const file = path.join(ws, "plan.json");
      await writeFile(file, JSON.stringify(plan(api.url)));
      const args = ["--workspace", ws, "--allow-host", "127.0.0.1"];
      const child = spawnCli(["--plan", file, ...args, "--run-id", "rb-crash", "--plain"], { env: store.env });
      kill = () => child.kill();
      const first = await child.exited;
      expect(first.signal, first.stderr).toBe("SIGKILL");
      expect(api.created).toBe(3);
      // What the last checkpoint before the kill has as undone already: that must not be undone again.
      const engine = new WorkflowEngine({ workspace: ws, ...store.options(ws) });
      const state = await engine.getState("rb-crash");
      await engine.close();
      const tasks = state?.tasks ?? {};
      const undoneBefore = Object.values(tasks)
        .filter((t) => t.compensates !== undefined && t.status === "completed" && t.action_type === "api_call")
        .map((t) => (tasks[t.compensates as string]?.result as { data: { id: string } } | undefined)?.data.id);

      const resumed = await runCli(["runs", "resume", "rb-crash", ...args.slice(0, 2), "--json"], { env: store.env, timeoutMs: 60_000 });
      const result = JSON.parse(resumed.stdout) as { status: string; tasks: { id: string; status: string; attempts: number }[] };
      expect(result.status, resumed.stderr).toBe("rolled_back");
      // Every record is gone, each deleted once; no compensation was delivered more than twice.
      expect(api.records()).toEqual([]);
      expect(api.deleted).toBe(3);
      const deliveries = ["rec1", "rec2", "rec3"].map((id) => api.deliveries(`DELETE /records/${id}`));
      for (const d of deliveries) expect(d).toBeGreaterThanOrEqual(1);
      for (const d of deliveries) expect(d).toBeLessThanOrEqual(2);
      expect(await readFile(path.join(ws, "data.txt"), "utf8")).toBe("original");
      const undo = result.tasks.filter((t) => t.id.startsWith("undo:"));
      expect(undo.map((t) => t.status)).toEqual(["completed", "completed", "completed", "completed"]);
      // The compensations the checkpoint had as completed were not delivered again (the three run in
      // parallel, so any of them may have been in flight at the kill, and delivered twice).
      for (const id of undoneBefore) expect(api.deliveries(`DELETE /records/${id}`)).toBe(1);
    },
  );
});
