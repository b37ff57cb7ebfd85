import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PlanInput } from "../../src/model/plan-schema.js";
import { runCli } from "../fixtures/cli.js";
import { chaosBackend, COMPLETED_LINE, dropSchemas, spawnCli } from "../fixtures/cli-child.js";
import { makeTempDir } from "../fixtures/context.js";
import { type CountingServer, startCountingServer } from "../fixtures/counting-server.js";

/** A process killed in the middle of a for_each: the resume does not send again the items it had finished. */
const ID = randomBytes(4).toString("hex");
const SCHEMA_PREFIX = `wfe_chaos_loop_${ID}_`;
const ITEMS = 30;
const CONCURRENCY = 4;

let server: CountingServer;
let root: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  server = await startCountingServer(() => 60);
  ({ dir: root, cleanup } = await makeTempDir("wf-chaos-loop-"));
});
afterAll(async () => {
  await server.close();
  await cleanup();
  await dropSchemas(SCHEMA_PREFIX);
});

describe.each(["sqlite", "postgres"] as const)("kill -9 mid-loop (%s)", (name) => {
  it(`a for_each of ${ITEMS} POSTs killed after 10 items: the resume sends each finished item never again, the others at most twice`, async () => {
    const backend = chaosBackend(name, `${SCHEMA_PREFIX}${name}`);
    const ws = path.join(root, name);
    await mkdir(ws, { recursive: true });
    const prefix = `/${name}`;
    const plan: PlanInput = {
      tasks: [
        {
          id: "each",
          for_each: Array.from({ length: ITEMS }, (_, i) => i),
          concurrency: CONCURRENCY,
          action_type: "api_call",
          action_config: { method: "POST", url: `${server.url}${prefix}/item/{{item}}`, body: { index: "{{index}}" } },
        },
      ],
    };
    const planFile = path.join(root, `${name}.json`);
    await writeFile(planFile, JSON.stringify(plan));
    const runId = `loop-${name}-${ID}`;
    const finished = new Set<string>();
    const run = spawnCli(["--plan", planFile, "--run-id", runId, "--workspace", ws, "--plain"], {
      env: backend.env,
      onLine: (line, child) => {
        const id = COMPLETED_LINE.exec(line)?.[1];
        if (!id?.startsWith("each#")) return;
        finished.add(id);
        if (finished.size === 10) child.kill();
      },
    });
    const killed = await run.exited;
    expect(killed.signal).toBe("SIGKILL");
    const before = server.counts();
    const resumed = await runCli(["runs", "resume", runId, "--workspace", ws, "--json"], { env: backend.env });
    expect(resumed.code, resumed.stderr).toBe(0);
    const result = JSON.parse(resumed.stdout) as { status: string; tasks: { id: string; result?: unknown }[] };
    expect(result.status).toBe("completed");
    const loop = result.tasks.find((t) => t.id === "each")?.result as { data: { path: string; received: { index: number } } }[];
    expect(loop.map((r) => r.data.received.index)).toEqual(Array.from({ length: ITEMS }, (_, i) => i));
    for (const id of finished) {
      const p = `${prefix}/item/${id.slice("each#".length)}`;
      expect(server.hits(p), `${p} finished before the kill`).toBe(before[p]);
      expect(server.hits(p)).toBe(1);
    }
    let repeated = 0;
    for (let i = 0; i < ITEMS; i++) {
      const p = `${prefix}/item/${i}`;
      const hits = server.log(p);
      expect(hits.length, p).toBeGreaterThanOrEqual(1);
      expect(hits.length, p).toBeLessThanOrEqual(2);
      if (hits.length === 2) {
        repeated++;
        expect(hits[0]?.idempotencyKey).toBe(hits[1]?.idempotencyKey); // the same key: the API can drop the repeat
      }
    }
    expect(repeated).toBeLessThanOrEqual(CONCURRENCY);
  });
});
