import { writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PlanInput } from "../../src/model/plan-schema.js";
import { runCli } from "../fixtures/cli.js";
import { jsonOf, taskOf } from "../fixtures/cli-json.js";
import { makeTempDir } from "../fixtures/context.js";
import { listenOnLoopback } from "../fixtures/loopback.js";

/**
 * The attack: a plan's description mentioned `http://127.0.0.1/help` (no port), which trusted every port of
 * 127.0.0.1, so a server the plan called could redirect the engine to an admin endpoint on another port of the
 * same host. A written URL trusts its own port only (80 here); the redirect must be refused with
 * NETWORK_REFUSED and the admin endpoint never reached. A bare `--allow-host 127.0.0.1` still trusts every port.
 */
describe("a portless URL in a plan does not trust the host's other ports", () => {
  const servers: Server[] = [];
  let adminHits = 0;
  let startHits = 0;
  let adminUrl: string;
  let startUrl: string;
  let root: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const admin = createServer((_req, res) => {
      adminHits++;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ page: "admin-page-123" }));
    });
    adminUrl = `${await listenOnLoopback(admin)}/secret-admin`;
    const start = createServer((_req, res) => {
      startHits++;
      res.writeHead(302, { location: adminUrl });
      res.end();
    });
    startUrl = `${await listenOnLoopback(start)}/start`;
    servers.push(admin, start);
    ({ dir: root, cleanup } = await makeTempDir("wf-chaos-port-"));
  });
  afterAll(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await cleanup();
  });

  async function runPlan(extra: string[]) {
    const plan: PlanInput = {
      tasks: [
        {
          id: "fetch",
          description: "Fetch the report; the docs are at http://127.0.0.1/help",
          action_type: "api_call",
          action_config: { method: "GET", url: startUrl },
        },
        { id: "honest", action_type: "wait", action_config: { seconds: 0 } },
      ],
    };
    const file = path.join(root, `plan-${extra.length}.json`);
    await writeFile(file, JSON.stringify(plan));
    return runCli(["--plan", file, "--workspace", root, "--no-persist", "--json", ...extra]);
  }

  it("refuses the redirect to another port with NETWORK_REFUSED, once, and never reaches it", async () => {
    const run = await runPlan([]);
    const output = jsonOf(run);
    expect(run.code).toBe(1);
    expect(output.status).toBe("failed");
    const fetch = taskOf(output, "fetch");
    expect(fetch).toMatchObject({ status: "failed", attempts: 1, error: { code: "NETWORK_REFUSED", retryable: false } });
    expect(fetch.error?.message).toContain(`Refused to follow the redirect from ${startUrl} to ${adminUrl}`);
    const adminHost = new URL(adminUrl).host;
    expect(fetch.error?.details).toMatchObject({
      rule: "non-public-address",
      redirected_from: startUrl,
      allow: expect.arrayContaining([`allowHosts: ["${adminHost}"]`]),
    });
    expect(run.stdout).not.toContain("admin-page-123");
    expect(startHits).toBe(1);
    expect(adminHits).toBe(0);
  });

  it("follows it when the user allows the bare host (every port), once", async () => {
    const run = await runPlan(["--allow-host", "127.0.0.1"]);
    const output = jsonOf(run);
    expect(run.code, run.stderr).toBe(0);
    expect(taskOf(output, "fetch")).toMatchObject({
      status: "completed",
      attempts: 1,
      result: { status: 200, data: { page: "admin-page-123" } },
    });
    expect(taskOf(output, "honest")).toMatchObject({ status: "completed", attempts: 1 });
    expect(startHits).toBe(2);
    expect(adminHits).toBe(1);
  });
});
