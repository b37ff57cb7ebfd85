import { isIP } from "node:net";

/**
 * The Host headers a server listening on `host:port` answers, when it listens on loopback only; undefined
 * when it listens on other addresses (the operator then decides who may reach it).
 */
export function allowedHosts(host: string, port: number): Set<string> | undefined {
  const loopback = host === "localhost" || host === "::1" || (isIP(host) === 4 && host.startsWith("127."));
  if (!loopback) return undefined;
  const names = ["localhost", "127.0.0.1", "[::1]", isIP(host) === 6 ? `[${host}]` : host];
  return new Set(names.flatMap((n) => [n, `${n}:${port}`]));
}
