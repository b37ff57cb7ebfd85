import { isIP } from "node:net";

/**
 * Hosts the user wrote are trusted for a run: they may be on loopback or a private network (the user
 * chose them). A URL written in the goal, a plan file or a variable trusts its host *and port* (the
 * scheme's default, 80 or 443, when none is written): mentioning `http://host/help` must not open
 * `http://host:47002/admin`. An allowlist entry (`--allow-host`) is the user naming a host on purpose:
 * `host` trusts every port of it, `host:port` that port only, `*.example.com` the subdomains.
 */

/** http(s) URLs inside free text or a plan: scheme, then the authority up to the path. */
const URL_IN_TEXT = /\bhttps?:\/\/[^\s"'<>`{}|\\^]+/gi;

/** Every `host:port` of an http(s) URL written in `value` (strings are searched; objects walked). */
export function hostsWrittenIn(value: unknown, found: Set<string> = new Set()): Set<string> {
  if (typeof value === "string") {
    for (const match of value.matchAll(URL_IN_TEXT)) {
      // Sentence punctuation after a URL ("... at http://127.0.0.1:4000.") is not part of it.
      const host = hostAndPortOf(match[0].replace(/[.,;:!?)]+$/, ""));
      if (host) found.add(host);
    }
  } else if (Array.isArray(value)) {
    for (const item of value) hostsWrittenIn(item, found);
  } else if (value !== null && typeof value === "object") {
    for (const item of Object.values(value)) hostsWrittenIn(item, found);
  }
  return found;
}

/** `host:port` of a URL as WHATWG parses it (so 0x7f.1 and 127.0.0.1 are the same host); undefined if none. */
export function hostOf(raw: string): string | undefined {
  try {
    const url = new URL(raw);
    return url.port ? `${url.hostname}:${url.port}` : url.hostname;
  } catch {
    return undefined;
  }
}

/** `host:port` of a URL, the port always written (the scheme's default when the URL has none); undefined if none. */
function hostAndPortOf(raw: string): string | undefined {
  try {
    const url = new URL(raw);
    return `${url.hostname}:${url.port || defaultPort(url.protocol)}`;
  } catch {
    return undefined;
  }
}

/**
 * An allowlist entry in canonical form, lower case: `*.suffix`, `host` (any port) or `host:port` (that
 * port only, also when it is the scheme's default: `host:80` stays `host:80`).
 */
export function normaliseHostEntry(entry: string): string {
  const trimmed = entry.trim().toLowerCase();
  if (trimmed.startsWith("*.")) return trimmed;
  // A bare IPv6 address (`::1`) is written in brackets in URLs, where it is compared.
  if (isIP(trimmed) === 6) return hostOf(`http://[${trimmed}]`) ?? trimmed;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//.test(trimmed) ? trimmed : `http://${trimmed}`;
  // WHATWG drops a default port (`http://h:80` has port ""), but the user wrote it: keep it.
  return (hasWrittenPort(withScheme) ? hostAndPortOf(withScheme) : hostOf(withScheme)) ?? trimmed;
}

/** True when the authority of `url` (text) ends in `:digits`. */
function hasWrittenPort(url: string): boolean {
  const authority = (url.split("://", 2)[1] ?? "").split(/[/?#]/, 1)[0] ?? "";
  const host = authority.slice(authority.lastIndexOf("@") + 1);
  return /^(\[[^\]]*\]|[^:]*):\d+$/.test(host);
}

function defaultPort(protocol: string): string {
  return protocol === "https:" ? "443" : "80";
}

/** True when `url`'s host (and port, when the entry has one) matches an entry of `trusted`. */
export function isTrustedHost(url: URL, trusted: readonly string[]): boolean {
  const host = url.hostname.toLowerCase();
  const port = url.port || defaultPort(url.protocol);
  return trusted.some((entry) => {
    if (entry.startsWith("*.")) return host.endsWith(entry.slice(1));
    const colon = entry.startsWith("[") ? entry.indexOf("]:") + 1 : entry.lastIndexOf(":");
    if (colon <= 0) return entry === host;
    return entry.slice(0, colon) === host && entry.slice(colon + 1) === port;
  });
}
