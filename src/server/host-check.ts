import { isIP } from "node:net";

/** True for an address only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || (isIP(host) === 4 && host.startsWith("127."));
}

/**
 * The Host headers a server listening on `host:port` answers, when it listens on loopback only; undefined
 * when it listens on other addresses (the operator then decides who may reach it).
 */
export function allowedHosts(host: string, port: number): Set<string> | undefined {
  if (!isLoopbackHost(host)) return undefined;
  const names = ["localhost", "127.0.0.1", "[::1]", isIP(host) === 6 ? `[${host}]` : host];
  return new Set(names.flatMap((n) => [n, `${n}:${port}`]));
}
