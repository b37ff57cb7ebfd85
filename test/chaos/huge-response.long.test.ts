import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall } from "../../src/actions/api-call/run.js";
import type { ApiCallConfig } from "../../src/model/action-config/api-call.js";
import { makeContext, TEST_SAFETY } from "../fixtures/context.js";
import { failure } from "../fixtures/errors.js";
import { listenOnLoopback } from "../fixtures/loopback.js";

const BODY_BYTES = 600 * 1024 * 1024;

/** Streams a 600 MiB text body (with its Content-Length), 1 MiB at a time, minding backpressure. */
let server: Server;
let url: string;
beforeAll(async () => {
  const chunk = Buffer.alloc(1024 * 1024, "x");
  server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain", "content-length": String(BODY_BYTES) });
    let sent = 0;
    const pump = () => {
      while (sent < BODY_BYTES) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once("drain", pump);
      }
      res.end();
    };
    pump();
  });
  url = await listenOnLoopback(server);
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

// Long: 600 MiB through loopback and into memory takes a while on a busy 2-core machine.
describe("a response the limit lets through but memory cannot decode is reported as what it is", () => {
  it("600 MiB with a 700 MiB limit: RESPONSE_TOO_LARGE naming the size, the string limit and the flag, not 'failed before any answer'", async () => {
    // The CLI and the engine refuse a limit above 512 MiB now; an action context is not validated, so this reaches the old path.
    const safety = { ...TEST_SAFETY, limits: { ...TEST_SAFETY.limits, maxResponseBytes: 700 * 1024 * 1024 } };
    const config = apiCall.schema.parse({ url: `${url}/huge`, timeout: 600 }) as ApiCallConfig;
    const err = await failure(apiCall.run(config, makeContext({ safety })));
    expect(err).toMatchObject({ code: "RESPONSE_TOO_LARGE", retryable: false, details: { bytes: BODY_BYTES, limit: 700 * 1024 * 1024 } });
    expect(err.message).toContain(`${BODY_BYTES} bytes`);
    expect(err.message).toContain("at most 536870888 characters");
    expect(err.message).toContain("limits.maxResponseBytes");
    expect(err.message).not.toContain("failed before any answer");
  });
});
