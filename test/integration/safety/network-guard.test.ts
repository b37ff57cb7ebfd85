import { createServer } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Planner } from "../../../src/model/planner.js";
import { apiCall } from "../../../src/actions/api-call/run.js";
import type { ApiCallConfig } from "../../../src/model/action-config/api-call.js";
import type { ActionContext } from "../../../src/actions/types.js";
import type { EngineOptions } from "../../../src/engine/engine-options.js";
import { WorkflowEngine } from "../../../src/engine/workflow-engine.js";
import type { HostResolver } from "../../../src/safety/network/guard.js";
import { defaultRunSafety } from "../../../src/model/safety-policy.js";
import type { PlanInput } from "../../../src/model/plan-schema.js";
import { makeContext, makeTempDir } from "../../fixtures/context.js";
import { type CountingServer, startCountingServer } from "../../fixtures/counting-server.js";
import { failure } from "../../fixtures/errors.js";
import { listenOnLoopback, trackSockets } from "../../fixtures/loopback.js";

/** Every request here goes to 127.0.0.1; refused destinations must be refused before any connection. */
let target: CountingServer;
let other: CountingServer;
beforeAll(async () => {
  target = await startCountingServer(() => 0);
  other = await startCountingServer(() => 0);
});
afterAll(async () => {
  await target.close();
  await other.close();
});

const port = () => new URL(target.url).port;
const total = (server: CountingServer) => Object.values(server.counts()).reduce((a, b) => a + b, 0);
const NO_RETRY = { max_attempts: 1, backoff_ms: 0, max_backoff_ms: 0 };

function call(config: Record<string, unknown>, ctx: ActionContext) {
  return apiCall.run(apiCall.schema.parse(config) as ApiCallConfig, ctx);
}

/** A context whose policy trusts `trustedHosts` only (none by default), resolving names with `resolver`. */
function guarded(trustedHosts: string[] = [], resolver?: HostResolver): ActionContext {
  return makeContext({ safety: defaultRunSafety({ trustedHosts }), ...(resolver ? { resolver } : {}) });
}

/** A resolver that maps every name it is given to loopback: DNS rebinding without touching /etc/hosts. */
const toLoopback: HostResolver = async () => [{ address: "127.0.0.1", family: 4 }];

interface Redirector {
  url: string;
  host: string;
  hits: () => number;
  close: () => Promise<void>;
}

/** A loopback server that answers every request with `status` and `Location: location(path)`. */
async function startRedirector(status: number, location: (path: string) => string): Promise<Redirector> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits += 1;
    res.writeHead(status, { location: location(req.url ?? "/"), "content-length": 0 });
    res.end();
  });
  const sockets = trackSockets(server);
  const url = await listenOnLoopback(server);
  return {
    url,
    host: new URL(url).host,
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe("api_call refuses non-public destinations the user did not write", () => {
  it.each([
    ["127.0.0.1", (p: string) => `http://127.0.0.1:${p}/direct`],
    ["localhost (refused after resolution)", (p: string) => `http://localhost:${p}/name`],
    ["0.0.0.0", (p: string) => `http://0.0.0.0:${p}/unspecified`],
    ["[::1]", (p: string) => `http://[::1]:${p}/v6`],
    ["[::ffff:127.0.0.1]", (p: string) => `http://[::ffff:127.0.0.1]:${p}/mapped`],
    ["2130706433", (p: string) => `http://2130706433:${p}/decimal`],
    ["0177.0.0.1", (p: string) => `http://0177.0.0.1:${p}/octal`],
    ["0x7f.1", (p: string) => `http://0x7f.1:${p}/hex`],
    ["127.1", (p: string) => `http://127.1:${p}/short`],
  ])("%s: NETWORK_REFUSED, and the server saw nothing", async (_name, url) => {
    const err = await failure(call({ url: url(port()) }, guarded()));
    expect(err).toMatchObject({ code: "NETWORK_REFUSED", retryable: false, details: { rule: "non-public-address" } });
    expect(err.message).toContain("allowHosts: [");
    expect(total(target)).toBe(0);
  });

  it("polling with `until` is refused on its first poll", async () => {
    const err = await failure(call({ url: `${target.url}/poll`, until: "status = 200", interval: 0.01 }, guarded()));
    expect(err.code).toBe("NETWORK_REFUSED");
    expect(total(target)).toBe(0);
  });

  it("a non-http scheme is refused whoever wrote it", async () => {
    for (const url of ["file:///etc/passwd", `gopher://127.0.0.1:${port()}/_x`, "ftp://127.0.0.1/"]) {
      const err = await failure(call({ url }, guarded(["127.0.0.1"])));
      expect(err).toMatchObject({ code: "NETWORK_REFUSED", details: { rule: "scheme", allow: [] } });
    }
    expect(total(target)).toBe(0);
  });

  it("DNS rebinding: a name that resolves to loopback is refused before connecting", async () => {
    const err = await failure(call({ url: `http://rebind.test:${port()}/rebind` }, guarded([], toLoopback)));
    expect(err).toMatchObject({
      code: "NETWORK_REFUSED",
      details: { rule: "non-public-address", host: "rebind.test", address: "127.0.0.1", range: "loopback" },
    });
    expect(err.message).toContain("rebind.test resolves to 127.0.0.1");
    // One loopback address among public ones is enough to refuse: nothing connects to any of them.
    const mixed: HostResolver = async () => [
      { address: "93.184.216.34", family: 4 },
      { address: "127.0.0.1", family: 4 },
    ];
    expect((await failure(call({ url: `http://mixed.test:${port()}/mixed` }, guarded([], mixed)))).code).toBe("NETWORK_REFUSED");
    expect(total(target)).toBe(0);
  });
});

describe("trusted hosts reach loopback", () => {
  afterEach(() => {
    // Each test here reaches `other` on purpose; `target` must stay untouched for the refusals above.
    expect(total(target)).toBe(0);
  });

  it("a trusted host:port is called", async () => {
    const before = other.hits("/ok");
    const result = await call({ url: `${other.url}/ok` }, guarded([new URL(other.url).host]));
    expect(result).toMatchObject({ status: 200, data: { path: "/ok" } });
    expect(other.hits("/ok")).toBe(before + 1);
  });

  it("a host:port entry does not trust another port of the same host", async () => {
    const err = await failure(call({ url: `${target.url}/port` }, guarded([new URL(other.url).host])));
    expect(err.details).toMatchObject({
      rule: "non-public-address",
      allow: [`allowHosts: ["127.0.0.1:${port()}"]`, expect.any(String)],
    });
  });

  it("*.example.com trusts a subdomain that resolves to loopback", async () => {
    const before = other.hits("/wild");
    const url = `http://api.example.com:${new URL(other.url).port}/wild`;
    expect((await call({ url }, guarded(["*.example.com"], toLoopback))).status).toBe(200);
    expect(other.hits("/wild")).toBe(before + 1);
    const err = await failure(call({ url: url.replace("api.example.com", "api.example.org") }, guarded(["*.example.com"], toLoopback)));
    expect(err.code).toBe("NETWORK_REFUSED");
  });
});

describe("redirects are checked on every hop", () => {
  const redirectors: Redirector[] = [];
  afterEach(async () => {
    await Promise.all(redirectors.splice(0).map((r) => r.close()));
  });
  async function redirector(status: number, location: string): Promise<Redirector> {
    const r = await startRedirector(status, () => location);
    redirectors.push(r);
    return r;
  }

  it.each([301, 302, 307])("%i from a trusted server to an untrusted loopback port is refused at the redirect", async (status) => {
    const r = await redirector(status, `${target.url}/redirected`);
    const err = await failure(call({ url: `${r.url}/start` }, guarded([r.host])));
    expect(err).toMatchObject({
      code: "NETWORK_REFUSED",
      details: { rule: "non-public-address", url: `${target.url}/redirected`, redirected_from: `${r.url}/start` },
    });
    expect(err.message).toContain(`Refused to follow the redirect from ${r.url}/start to ${target.url}/redirected`);
    expect(r.hits()).toBe(1);
    expect(total(target)).toBe(0);
  });

  it.each([
    ["the cloud metadata address", "http://169.254.169.254/latest/meta-data/", "non-public-address"],
    ["a loopback name", () => `http://localhost:${port()}/by-name`, "non-public-address"],
    ["a name rebound to loopback", () => `http://rebind.test:${port()}/rebound`, "non-public-address"],
    ["file:", "file:///etc/passwd", "scheme"],
    ["gopher:", () => `gopher://127.0.0.1:${port()}/_INFO`, "scheme"],
  ])("to %s is refused", async (_name, location, rule) => {
    const r = await redirector(302, typeof location === "string" ? location : location());
    const err = await failure(call({ url: `${r.url}/start` }, guarded([r.host], toLoopback)));
    expect(err).toMatchObject({ code: "NETWORK_REFUSED", details: { rule, redirected_from: `${r.url}/start` } });
    expect(r.hits()).toBe(1);
    expect(total(target)).toBe(0);
  });

  it("a redirect between trusted hosts is followed", async () => {
    const before = other.hits("/landed");
    const r = await redirector(307, `${other.url}/landed`);
    const result = await call({ url: `${r.url}/start` }, guarded([r.host, new URL(other.url).host]));
    expect(result).toMatchObject({ status: 200, data: { path: "/landed" } });
    expect(other.hits("/landed")).toBe(before + 1);
  });
});

describe("the engine applies the run's trusted hosts", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });
  async function engine(options: Partial<EngineOptions> = {}): Promise<WorkflowEngine> {
    const { dir, cleanup } = await makeTempDir("wf-network-guard-");
    const e = new WorkflowEngine({ workspace: dir, persist: "memory", planner: "rules", advisor: null, env: {}, ...options });
    cleanups.push(async () => {
      await e.close();
      await cleanup();
    });
    return e;
  }

  /** A trusted server whose answer points to a URL nobody wrote: the next task calls it through a reference. */
  async function pointer(next: string): Promise<string> {
    const server = createServer((_req, res) => {
      const body = JSON.stringify({ next });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body);
    });
    const sockets = trackSockets(server);
    const url = await listenOnLoopback(server);
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        }),
    );
    return url;
  }

  const followPlan = (start: string): PlanInput => ({
    tasks: [
      { id: "fetch", action_type: "api_call", action_config: { url: `${start}/start` }, retry: NO_RETRY },
      { id: "follow", action_type: "api_call", action_config: { url: "{{fetch.data.next}}" }, dependencies: ["fetch"], retry: NO_RETRY },
    ],
  });

  it("a URL read from fetched data ({{fetch.data.next}}) to an unwritten loopback port fails with NETWORK_REFUSED", async () => {
    const start = await pointer(`${target.url}/from-data`);
    const result = await (await engine()).run(followPlan(start));
    expect(result.status).toBe("failed");
    expect(result.tasks.find((t) => t.id === "fetch")?.status).toBe("completed");
    const follow = result.tasks.find((t) => t.id === "follow");
    expect(follow?.status).toBe("failed");
    expect(follow?.error).toMatchObject({
      code: "NETWORK_REFUSED",
      details: { rule: "non-public-address", url: `${target.url}/from-data` },
    });
    expect(total(target)).toBe(0);
  });

  it("the same plan succeeds when allowHosts names that host:port", async () => {
    const start = await pointer(`${other.url}/from-data`);
    const before = other.hits("/from-data");
    const result = await (await engine({ allowHosts: [new URL(other.url).host] })).run(followPlan(start));
    expect(result.status).toBe("completed");
    expect(result.tasks.find((t) => t.id === "follow")?.result).toMatchObject({ status: 200, data: { path: "/from-data" } });
    expect(other.hits("/from-data")).toBe(before + 1);
  });

  /** A model planner that always plans one GET of `url`, whatever the goal says. */
  function inventing(url: string): Planner {
    return {
      kind: "llm",
      plan: async () => ({
        planner: "llm",
        plan: { tasks: [{ id: "get", action_type: "api_call", action_config: { url }, retry: NO_RETRY }] },
      }),
    };
  }

  it("a host the planner invented is refused", async () => {
    // The plan shows the URL, so it is refused before anything runs (PLAN_REFUSED names the guard's code).
    const run = (await engine({ planner: inventing(`${target.url}/invented`) })).run("Check that the service is up");
    await expect(run).rejects.toMatchObject({ code: "PLAN_REFUSED", details: { refusals: [{ code: "NETWORK_REFUSED" }] } });
    await expect(run).rejects.toThrow(`${target.url}/invented`);
    expect(total(target)).toBe(0);
  });

  it("the same host is allowed when the goal names it", async () => {
    const before = other.hits("/invented");
    const e = await engine({ planner: inventing(`${other.url}/invented`) });
    const result = await e.run(`Check that the service at ${other.url} is up.`);
    expect(result.status).toBe("completed");
    expect(other.hits("/invented")).toBe(before + 1);
  });
});
