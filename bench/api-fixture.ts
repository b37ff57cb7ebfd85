import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** A JSON API for the bench: every GET answers `{ path, delayed_ms }` after `?ms=` milliseconds (default 0). */
export interface BenchApi {
  url: string;
  hits: number;
  close(): Promise<void>;
}

export async function startBenchApi(): Promise<BenchApi> {
  const state = { hits: 0 };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://bench.local");
    const ms = Number(url.searchParams.get("ms") ?? 0);
    state.hits += 1;
    const answer = () => {
      const text = JSON.stringify({ path: url.pathname, delayed_ms: ms });
      res
        .writeHead(req.method === "GET" ? 200 : 405, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
        .end(text);
    };
    req.resume();
    if (ms > 0) setTimeout(answer, ms);
    else answer();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get hits() {
      return state.hits;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
