import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall, parseRetryAfter } from "../../../src/actions/api-call/run.js";
import type { ApiCallConfig } from "../../../src/model/action-config/api-call.js";
import { runAction } from "../../../src/actions/registry.js";
import type { ActionContext } from "../../../src/actions/types.js";
import { type ApiFixture, POSTS, startApiFixture, USERS } from "../../fixtures/api-server.js";
import { makeContext, TEST_SAFETY } from "../../fixtures/context.js";
import { failure } from "../../fixtures/errors.js";

let api: ApiFixture;
beforeAll(async () => {
  api = await startApiFixture();
});
afterAll(async () => {
  await api.close();
});

function call(config: Record<string, unknown>, ctx: ActionContext = makeContext()) {
  return apiCall.run(apiCall.schema.parse(config) as ApiCallConfig, ctx);
}

/** A port nothing listens on: bind, read the port, close. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("api_call against the fixture API", () => {
  it("GETs JSON with plain string headers", async () => {
    const result = await call({ url: `${api.url}/users` });
    expect(result.status).toBe(200);
    expect(result.data).toEqual(USERS);
    expect(result.headers["content-type"]).toBe("application/json");
    for (const v of Object.values(result.headers)) expect(typeof v).toBe("string");
  });

  it("sends query params and reads 404 for a missing user", async () => {
    const posts = await call({ url: `${api.url}/posts`, params: { userId: 2 } });
    expect(posts.data).toEqual(POSTS.filter((p) => p.userId === 2));
    const err = await failure(call({ url: `${api.url}/users/99` }));
    expect(err.code).toBe("HTTP_STATUS");
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(`GET ${api.url}/users/99 answered 404`);
    expect(err.message).toContain("no user 99");
  });

  it("POSTs a JSON body with an Idempotency-Key of runId:taskId", async () => {
    const ctx = makeContext({ runId: "r1", taskId: "t1" });
    const result = await call({ method: "post", url: `${api.url}/items`, body: { a: 1 } }, ctx);
    expect(result).toMatchObject({ status: 201, data: { received: { a: 1 }, method: "POST" } });
    expect(api.requests.at(-1)?.headers["idempotency-key"]).toBe("r1:t1");
    await call({ method: "PUT", url: `${api.url}/items`, body: [1], headers: { "idempotency-KEY": "mine" } });
    expect(api.requests.at(-1)?.headers["idempotency-key"]).toBe("mine");
    await call({ url: `${api.url}/status` });
    expect(api.requests.at(-1)?.headers["idempotency-key"]).toBeUndefined();
  });

  it("classifies 503 as retryable and 404/400 as not", async () => {
    const unavailable = await failure(call({ url: `${api.url}/fail/503` }));
    expect(unavailable).toMatchObject({ code: "HTTP_STATUS", retryable: true, retryAfterMs: undefined });
    expect(unavailable.message).toContain("503");
    expect(unavailable.message).toContain("failing with 503 on purpose");
    for (const status of [400, 404, 422]) {
      const err = await failure(call({ url: `${api.url}/fail/${status}` }));
      expect(err).toMatchObject({ code: "HTTP_STATUS", retryable: false, details: expect.objectContaining({ status }) });
    }
  });

  it("treats 429 as retryable after Retry-After, then succeeds", async () => {
    const err = await failure(call({ url: `${api.url}/ratelimited/a` }));
    expect(err).toMatchObject({ code: "HTTP_STATUS", retryable: true, retryAfterMs: 1000 });
    const ok = await call({ url: `${api.url}/ratelimited/a` });
    expect(ok.data).toEqual({ ok: true, attempts: 2 });
  });

  it("a flaky endpoint fails N times with 503, then answers", async () => {
    for (let i = 0; i < 2; i++) {
      expect((await failure(call({ url: `${api.url}/flaky/k1` }))).retryable).toBe(true);
    }
    expect((await call({ url: `${api.url}/flaky/k1` })).data).toEqual({ ok: true, attempts: 3 });
    expect(api.hits.get("flaky:k1")).toBe(3);
  });

  it("times out with HTTP_TIMEOUT (retryable)", async () => {
    const started = Date.now();
    const err = await failure(call({ url: `${api.url}/slow`, timeout: 0.3 }));
    expect(err).toMatchObject({ code: "HTTP_TIMEOUT", retryable: true });
    expect(err.message).toContain("0.3 s");
    expect(Date.now() - started).toBeLessThan(1200);
  });

  it("reports a refused connection as NETWORK_ERROR (retryable)", async () => {
    const port = await closedPort();
    const err = await failure(call({ url: `http://127.0.0.1:${port}/x` }));
    expect(err).toMatchObject({ code: "NETWORK_ERROR", retryable: true });
    expect(err.message).toContain("ECONNREFUSED");
  });

  it("rejects with CANCELLED promptly when the signal aborts", async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 100);
    const err = await failure(call({ url: `${api.url}/delay?ms=3000` }, makeContext({ signal: controller.signal })));
    expect(err.code).toBe("CANCELLED");
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("accepts only http and https URLs", async () => {
    for (const url of ["ftp://example.com/x", "file:///etc/passwd"]) {
      const err = await failure(call({ url }));
      expect(err).toMatchObject({ code: "NETWORK_REFUSED", retryable: false, details: { rule: "scheme" } });
    }
    const err = await failure(call({ url: "not a url" }));
    expect(err).toMatchObject({ code: "ACTION_CONFIG_INVALID", retryable: false });
  });

  it("caps the response at limits.maxResponseBytes with RESPONSE_TOO_LARGE, naming the setting", async () => {
    const ctx = (maxResponseBytes: number) =>
      makeContext({ safety: { ...TEST_SAFETY, limits: { ...TEST_SAFETY.limits, maxResponseBytes } } });
    // /users is about 800 bytes of JSON: it fits in 4 KiB, not in 100 bytes.
    expect((await call({ url: `${api.url}/users` }, ctx(4096))).data).toEqual(USERS);
    const err = await failure(call({ url: `${api.url}/users` }, ctx(100)));
    expect(err).toMatchObject({ code: "RESPONSE_TOO_LARGE", retryable: false, details: { limit: 100 } });
    expect(err.message).toContain("larger than the limit of 100 bytes");
    expect(err.message).toContain("limits.maxResponseBytes");
    expect(err.message).toContain("limits.maxResponseBytes");
  });

  it("keeps credentials out of messages", async () => {
    const port = await closedPort();
    const err = await failure(call({ url: `http://user:secret@127.0.0.1:${port}/x` }));
    expect(err.message).not.toContain("secret");
  });

  it("returns non-JSON bodies as text and an empty body as null", async () => {
    const server = createServer((req, res) => {
      if (req.url === "/text") res.writeHead(200, { "content-type": "text/plain" }).end("hello");
      else res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect((await call({ url: `${base}/text` })).data).toBe("hello");
      expect(await call({ method: "DELETE", url: `${base}/empty` })).toMatchObject({ status: 204, data: null });
    } finally {
      server.close();
    }
  });
});

describe("parseRetryAfter", () => {
  it("reads delay-seconds and HTTP dates", () => {
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(parseRetryAfter("1", now)).toBe(1000);
    expect(parseRetryAfter(" 120 ", now)).toBe(120_000);
    expect(parseRetryAfter("Wed, 01 Jan 2025 00:00:05 GMT", now)).toBe(5000);
    expect(parseRetryAfter("Tue, 31 Dec 2024 00:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe("runAction", () => {
  it("validates the config and names the bad fields", async () => {
    const err = await failure(runAction("api_call", { method: "FETCH", extra: 1 }, makeContext()));
    expect(err).toMatchObject({ code: "ACTION_CONFIG_INVALID", retryable: false });
    expect(err.message).toContain("method");
    expect(err.message).toContain("url");
    expect(err.message).toContain("extra");
  });

  it("runs a valid config through its handler", async () => {
    const result = await runAction("api_call", { url: `${api.url}/status` }, makeContext());
    expect(result).toMatchObject({ status: 200, data: { state: "ok" } });
    expect(await runAction("transform_data", { input: [1, 2, 3], expression: "$sum($)" }, makeContext())).toEqual({
      data: 6,
    });
  });
});
