import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { PlanInput, TaskSpecInput } from "../../src/model/plan-schema.js";
import { runCli } from "../fixtures/cli.js";
import { chaosBackend, COMPLETED_LINE, dropSchemas, spawnCli } from "../fixtures/cli-child.js";
import { makeTempDir } from "../fixtures/context.js";
import { type CountingServer, startCountingServer } from "../fixtures/counting-server.js";
import { until } from "../fixtures/graph-harness.js";
import { heldEndpoint } from "../fixtures/loopback.js";

/** Other processes racing the one that drives a run: a resume beside it, approvals at once, prune and delete. */
const ID = randomBytes(4).toString("hex");
const SCHEMA_PREFIX = `wfe_chaos_races_${ID}_`;
const TRIALS = 5;
const BUSY = (runId: string, pid: number, purpose: string) =>
  new RegExp(
    `^Error \\[RUN_BUSY\\]: Run "${runId}" is busy: pid ${pid} on host \\S+ \\(${purpose}\\) since \\S+Z, lease until \\S+Z\\. Nothing was done\\.`,
  );

let server: CountingServer;
let root: string;
let cleanup: () => Promise<void>;
let dirs = 0;
let schemas = 0;
beforeAll(async () => {
  server = await startCountingServer((p) => (p.endsWith("/slow") ? 400 : 20));
  ({ dir: root, cleanup } = await makeTempDir("wf-chaos-races-"));
});
afterAll(async () => {
  await server.close();
  await cleanup();
  await dropSchemas(SCHEMA_PREFIX);
});

async function workspaceWith(plan: PlanInput): Promise<{ ws: string; planFile: string }> {
  const ws = path.join(root, `ws-${++dirs}`);
  await mkdir(ws, { recursive: true });
  const planFile = path.join(root, `plan-${dirs}.json`);
  await writeFile(planFile, JSON.stringify(plan));
  return { ws, planFile };
}

/**
 * 12 POSTs in 3 chains, each to its own path; with `gate`, a GET in the middle that waits until the test
 * releases it (p0-p5 before it, p6-p11 after), so other processes surely race a run that is going.
 */
function chains(base: string, gate?: string): PlanInput {
  const tasks: TaskSpecInput[] = Array.from({ length: 12 }, (_, i) => ({
    id: `p${i}`,
    action_type: "api_call",
    action_config: { method: "POST", url: `${base}/p${i}/slow`, body: { i } },
    dependencies: i < 3 ? [] : gate && i >= 6 && i < 9 ? ["gate"] : [`p${i - 3}`],
  }));
  if (gate) tasks.push({ id: "gate", action_type: "api_call", action_config: { url: gate }, dependencies: ["p3", "p4", "p5"] });
  return { tasks };
}

describe.each(["sqlite", "postgres"] as const)("racing the process that drives a run (%s)", (name) => {
  /** A store of its own for each test (prune looks at every run in it). */
  let backend = chaosBackend(name, "");
  beforeEach(() => {
    backend = chaosBackend(name, `${SCHEMA_PREFIX}${++schemas}`);
  });

  it(`runs resume while the run is still going (x${TRIALS}): refused with RUN_BUSY naming it; every POST once`, async () => {
    const gate = await heldEndpoint();
    try {
      for (let trial = 0; trial < TRIALS; trial++) {
        const prefix = `/${name}-beside-${trial}`;
        const { ws, planFile } = await workspaceWith(chains(`${server.url}${prefix}`, gate.url));
        const runId = `beside-${name}-${trial}-${ID}`;
        const run = spawnCli(["--plan", planFile, "--run-id", runId, "--workspace", ws, "--plain"], { env: backend.env });
        await until(() => gate.waiting() === 1, 60_000);
        const resumes = await Promise.all([0, 1].map(() => runCli(["runs", "resume", runId, "--workspace", ws], { env: backend.env })));
        for (const r of resumes)
          expect(r).toMatchObject({ code: 2, stdout: "", stderr: expect.stringMatching(BUSY(runId, run.pid, "run")) });
        gate.release();
        const end = await run.exited;
        expect(end.code, end.stderr).toBe(0);
        for (let i = 0; i < 12; i++) expect(server.hits(`${prefix}/p${i}/slow`), `p${i}`).toBe(1);
      }
    } finally {
      gate.release();
      await gate.close();
    }
  });

  it(`three processes start one --run-id at once (x${TRIALS}): exactly one runs it; every POST once`, async ({ annotate }) => {
    const outcomes: Record<string, number> = {};
    for (let trial = 0; trial < TRIALS; trial++) {
      const prefix = `/${name}-start-${trial}`;
      const { ws, planFile } = await workspaceWith(chains(`${server.url}${prefix}`));
      const runId = `start-${name}-${trial}-${ID}`;
      const starts = [0, 1, 2].map(() =>
        spawnCli(["--plan", planFile, "--run-id", runId, "--workspace", ws, "--plain"], { env: backend.env }),
      );
      const ends = await Promise.all(starts.map((s) => s.exited));
      // The one that ran it printed its progress; a later one shows the stored result (exit 0, "not run again").
      const ran = ends.filter((e) => /^ {2}started /m.test(e.stderr));
      expect(ran, ends.map((e) => `exit ${e.code}: ${e.stderr}`).join("\n")).toHaveLength(1);
      expect(ran[0]?.code).toBe(0);
      for (const other of ends.filter((e) => e !== ran[0])) {
        const busy = BUSY(runId, ran[0]?.pid ?? -1, "run").test(other.stderr);
        const shown =
          other.code === 0 &&
          other.stderr.includes(`Run "${runId}" already finished (completed)`) &&
          other.stderr.includes("it was not run again");
        expect(busy ? other.code : shown, other.stderr).toBe(busy ? 2 : true);
        outcomes[busy ? "RUN_BUSY" : "shown finished"] = (outcomes[busy ? "RUN_BUSY" : "shown finished"] ?? 0) + 1;
      }
      for (let i = 0; i < 12; i++) expect(server.hits(`${prefix}/p${i}/slow`), `p${i}`).toBe(1);
    }
    await annotate(`the other starts: ${JSON.stringify(outcomes)}`);
  });

  it(`three runs approve at once (x${TRIALS}): one continues the run, the approved POST is sent once`, async ({ annotate }) => {
    const outcomes: Record<string, number> = {};
    for (let trial = 0; trial < TRIALS; trial++) {
      const prefix = `${server.url}/${name}-approve-${trial}`;
      const { ws, planFile } = await workspaceWith({
        tasks: [
          { id: "read", action_type: "api_call", action_config: { url: `${prefix}/read` } },
          {
            id: "post",
            action_type: "api_call",
            action_config: { method: "POST", url: `${prefix}/post/slow`, body: { trial } },
            dependencies: ["read"],
          },
          { id: "after", action_type: "transform_data", action_config: { input: "{{post.data.value}}", expression: "$" } },
        ],
      });
      const runId = `approve-${name}-${trial}-${ID}`;
      const paused = await runCli(["--plan", planFile, "--run-id", runId, "--workspace", ws, "--approve", "ask", "--quiet"], {
        env: backend.env,
      });
      expect(paused.code, paused.stderr).toBe(3);
      const approvals = await Promise.all(
        [0, 1, 2].map(() => runCli(["runs", "approve", runId, "--workspace", ws, "--json"], { env: backend.env })),
      );
      const winners = approvals.filter((a) => a.code === 0);
      expect(winners, approvals.map((a) => `${a.code}: ${a.stderr}`).join("\n")).toHaveLength(1);
      expect((JSON.parse(winners[0]?.stdout ?? "{}") as { status: string }).status).toBe("completed");
      for (const a of approvals.filter((x) => x.code !== 0)) {
        expect(a.code, a.stderr).toBe(2);
        const code = /^Error \[(\w+)\]/.exec(a.stderr)?.[1] ?? a.stderr;
        expect(["RUN_BUSY", "NOT_AWAITING_APPROVAL"], a.stderr).toContain(code);
        if (code === "RUN_BUSY") expect(a.stderr).toMatch(/ \(approve\) since /);
        outcomes[code] = (outcomes[code] ?? 0) + 1;
      }
      expect(server.hits(`/${name}-approve-${trial}/post/slow`)).toBe(1);
      expect(server.hits(`/${name}-approve-${trial}/read`)).toBe(1);
    }
    await annotate(`refused approvals: ${JSON.stringify(outcomes)}`);
  });

  it("runs prune and runs delete during a run leave it alone; it ends whole, and is pruned once over", async () => {
    const gate = await heldEndpoint();
    try {
      const { ws, planFile } = await workspaceWith({
        tasks: [
          { id: "first", action_type: "wait", action_config: { ms: 10 } },
          { id: "long", action_type: "api_call", action_config: { url: gate.url }, dependencies: ["first"] },
          {
            id: "last",
            action_type: "file_operation",
            action_config: { operation: "write", path: "out/last.txt", content: "done" },
            dependencies: ["long"],
          },
        ],
      });
      const runId = `prune-${name}-${ID}`;
      const run = spawnCli(["--plan", planFile, "--run-id", runId, "--workspace", ws, "--plain"], { env: backend.env });
      await until(() => gate.waiting() === 1, 60_000);
      // The run's record and its last checkpoint are now older than the cutoff: only its lease keeps it.
      const since = Date.now();
      await until(() => Date.now() - since > 1500, 10_000);
      const prune = await runCli(["runs", "prune", "--older-than", "1s", "--workspace", ws, "--json"], { env: backend.env });
      expect(prune.code, prune.stderr).toBe(0);
      expect(JSON.parse(prune.stdout)).toEqual({ deleted: [] });
      const del = await runCli(["runs", "delete", runId, "--workspace", ws], { env: backend.env });
      expect(del).toMatchObject({ code: 2, stdout: "", stderr: expect.stringMatching(BUSY(runId, run.pid, "run")) });

      gate.release();
      const end = await run.exited;
      expect(end.code, end.stderr).toBe(0);
      const shown = await runCli(["runs", "show", runId, "--workspace", ws, "--json"], { env: backend.env });
      expect(shown.code, shown.stderr).toBe(0);
      const result = JSON.parse(shown.stdout) as { status: string; tasks: { id: string; status: string }[] };
      expect(result.status).toBe("completed");
      expect(result.tasks.map((t) => `${t.id} ${t.status}`)).toEqual(["first completed", "long completed", "last completed"]);
      expect(await readFile(path.join(ws, "out/last.txt"), "utf8")).toBe("done");

      await until(async () => {
        const again = await runCli(["runs", "prune", "--older-than", "1s", "--workspace", ws, "--json"], { env: backend.env });
        expect(again.code, again.stderr).toBe(0);
        return (JSON.parse(again.stdout) as { deleted: string[] }).deleted.includes(runId);
      }, 60_000);
      const list = await runCli(["runs", "list", "--workspace", ws], { env: backend.env });
      expect(list.stdout, list.stderr).toBe("No runs.\n");
    } finally {
      gate.release();
      await gate.close();
    }
  });

  it("runs prune deletes a crashed run nobody resumed (its holder is gone), once it is older than the cutoff", async () => {
    const { ws, planFile } = await workspaceWith(chains(`${server.url}/${name}-crashed`));
    const runId = `crashed-${name}-${ID}`;
    const run = spawnCli(["--plan", planFile, "--run-id", runId, "--workspace", ws, "--plain"], {
      env: backend.env,
      onLine: (line, child) => {
        if (COMPLETED_LINE.test(line)) child.kill();
      },
    });
    expect((await run.exited).signal).toBe("SIGKILL");
    const killedAt = Date.now();
    await until(() => Date.now() - killedAt > 1500, 10_000);
    const prune = await runCli(["runs", "prune", "--older-than", "1s", "--workspace", ws, "--json"], { env: backend.env });
    expect(prune.code, prune.stderr).toBe(0);
    expect(JSON.parse(prune.stdout)).toEqual({ deleted: [runId] });
    const show = await runCli(["runs", "show", runId, "--workspace", ws], { env: backend.env });
    expect(show.code).toBe(2);
    expect(show.stderr).toMatch(/^Error \[RUN_NOT_FOUND\]/);
  });
});
