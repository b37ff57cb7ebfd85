/**
 * Server-side request forgery guard of `api_call`. Hosts the user wrote are trusted for the run; any other
 * destination (invented by a planner, read from fetched data, reached by a redirect) is refused before any
 * connection when it is, or resolves to, a non-public address. Three checks cover the ways to a connection:
 * the URL (scheme, IP literals, which Node connects to without a lookup), the DNS lookup of the agents (after
 * resolution, so DNS rebinding does not pass), and every redirect (follow-redirects' `beforeRedirect`).
 */
import { promises as dns, type LookupAddress } from "node:dns";
import http from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { addressRange, PUBLIC_RANGE } from "./address-range.js";
import { NetworkRule, networkRefused, withoutCredentials } from "./refusal.js";
import { isTrustedHost } from "./trusted-hosts.js";

/** Every address of a host name, as `dns.lookup(host, { all: true })` gives them; `family` 0 means either. */
export type HostResolver = (hostname: string, family: 0 | 4 | 6) => Promise<LookupAddress[]>;

/** The system resolver (getaddrinfo, as Node's own connections use). */
export const systemResolver: HostResolver = (hostname, family) => dns.lookup(hostname, { all: true, family });

export interface NetworkGuardOptions {
  /** The run's trusted hosts (RunSafety.trustedHosts): `host`, `host:port` or `*.suffix`. */
  trustedHosts: readonly string[];
  /** Default: the system resolver. Tests inject one to resolve a name to loopback without touching /etc/hosts. */
  resolver?: HostResolver;
}

/** The axios options that route one request (and its redirects) through the guard. */
interface GuardedRequestOptions {
  httpAgent: http.Agent;
  httpsAgent: https.Agent;
  beforeRedirect: (options: Record<string, unknown>, response: unknown, request: { url: string }) => void;
  /** A proxy would resolve and connect in our place, out of the guard's sight. */
  proxy: false;
}

/** The guard of one action run: it owns the agents it creates, and `close()` destroys them. */
export interface NetworkGuard {
  /** Options for a request to `url`; throws NETWORK_REFUSED (nothing sent) when `url` itself is refused. */
  requestOptions(url: URL): GuardedRequestOptions;
  close(): void;
}

/**
 * Refuse `url` before connecting when its scheme is not http(s), or when it is not trusted and its host is an IP
 * literal outside the public range (WHATWG URL has already turned 0x7f.1, 2130706433 and 0177.0.0.1 into 127.0.0.1).
 * Host names pass here: their addresses are checked by the agents' lookup.
 */
export function checkDestination(url: URL, trustedHosts: readonly string[], redirectedFrom?: string): void {
  const from = redirectedFrom === undefined ? {} : { redirectedFrom };
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw networkRefused({ rule: NetworkRule.Scheme, url, ...from });
  }
  if (isTrustedHost(url, trustedHosts)) return;
  const literal = url.hostname.replace(/^\[|\]$/g, "");
  if (isIP(literal) === 0) return;
  const range = addressRange(literal);
  if (range !== PUBLIC_RANGE) {
    throw networkRefused({ rule: NetworkRule.NonPublicAddress, url, address: literal, range, ...from });
  }
}

/**
 * A `lookup` for the agents that connect to `url` (untrusted): it resolves every address of the host and fails
 * with NETWORK_REFUSED when any of them is not public, so no connection is attempted to any of them.
 */
export function guardedLookup(url: URL, resolver: HostResolver, redirectedFrom?: string): LookupFunction {
  return resolvingLookup(resolver, (addresses) => {
    const refused = addresses.find((a) => addressRange(a.address) !== PUBLIC_RANGE);
    if (refused === undefined) return;
    const range = addressRange(refused.address);
    const from = redirectedFrom === undefined ? {} : { redirectedFrom };
    throw networkRefused({ rule: NetworkRule.NonPublicAddress, url, address: refused.address, range, ...from });
  });
}

/** Open the guard of one action run (one request, or one poll loop); close it when the run ends. */
export function openNetworkGuard(options: NetworkGuardOptions): NetworkGuard {
  const { trustedHosts } = options;
  const resolver = options.resolver ?? systemResolver;
  const agents: http.Agent[] = [];
  // One pair of agents per hop: each lookup knows the URL (host and port) it connects for, so the trust decision
  // and the error name that hop. Only the pair's agent of the hop's scheme is used.
  const agentsFor = (url: URL, redirectedFrom?: string) => {
    const lookup = isTrustedHost(url, trustedHosts)
      ? resolvingLookup(resolver, () => undefined)
      : guardedLookup(url, resolver, redirectedFrom);
    const pair = { http: new http.Agent({ lookup }), https: new https.Agent({ lookup }) };
    agents.push(pair.http, pair.https);
    return pair;
  };
  return {
    requestOptions(url) {
      checkDestination(url, trustedHosts);
      const first = agentsFor(url);
      return {
        httpAgent: first.http,
        httpsAgent: first.https,
        proxy: false,
        beforeRedirect(redirect, _response, request) {
          const from = withoutCredentials(new URL(request.url));
          const next = new URL(String(redirect.href));
          checkDestination(next, trustedHosts, from);
          // follow-redirects takes the next hop's agent from `agents` by scheme.
          redirect.agents = agentsFor(next, from);
        },
      };
    },
    close() {
      for (const agent of agents.splice(0)) agent.destroy();
    },
  };
}

/** A `lookup` that resolves through `resolver`, lets `check` throw on the addresses, and answers as Node asked. */
function resolvingLookup(resolver: HostResolver, check: (addresses: LookupAddress[]) => void): LookupFunction {
  return (hostname, options, callback) => {
    const family = familyOf(options.family);
    resolver(hostname, family)
      .then((addresses) => {
        if (addresses.length === 0) throw notFound(hostname);
        check(addresses);
        return addresses;
      })
      .then(
        (addresses) => {
          const [first] = addresses as [LookupAddress];
          if (options.all) callback(null, addresses);
          else callback(null, first.address, first.family);
        },
        (err: NodeJS.ErrnoException) => callback(err, options.all ? [] : ""),
      );
  };
}

function familyOf(family: number | string | undefined): 0 | 4 | 6 {
  if (family === 4 || family === "IPv4") return 4;
  if (family === 6 || family === "IPv6") return 6;
  return 0;
}

function notFound(hostname: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND", hostname });
}
