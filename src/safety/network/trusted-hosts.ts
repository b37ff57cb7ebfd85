import { isIP } from "node:net";

/**
 * Hosts the user wrote are trusted for a run: they may be on loopback or a private network (the user
 * chose them). Trust is by host name as written, with or without a port; `*.example.com` trusts subdomains.
 */

/** http(s) URLs inside free text or a plan: scheme, then the authority up to the path. */
const URL_IN_TEXT = /\bhttps?:\/\/[^\s"'<>`{}|\\^]+/gi;

/** Every `host[:port]` of an http(s) URL written in `value` (strings are searched; objects walked). */
export function hostsWrittenIn(value: unknown, found: Set<string> = new Set()): Set<string> {
  if (typeof value === "string") {
    for (const match of value.matchAll(URL_IN_TEXT)) {
      // Sentence punctuation after a URL ("... at http://127.0.0.1:4000.") is not part of it.
      const host = hostOf(match[0].replace(/[.,;:!?)]+$/, ""));
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

/** An allowlist entry in canonical form: `host`, `host:port` or `*.suffix`, lower case. */
export function normaliseHostEntry(entry: string): string {
  const trimmed = entry.trim().toLowerCase();
  if (trimmed.startsWith("*.")) return trimmed;
  // A bare IPv6 address (`::1`) is written in brackets in URLs, where it is compared.
  if (isIP(trimmed) === 6) return hostOf(`http://[${trimmed}]`) ?? trimmed;
  return hostOf(/^[a-z][a-z0-9+.-]*:\/\//.test(trimmed) ? trimmed : `http://${trimmed}`) ?? trimmed;
}

/** True when `url`'s host (and port, when the entry has one) matches an entry of `trusted`. */
export function isTrustedHost(url: URL, trusted: readonly string[]): boolean {
  const host = url.hostname.toLowerCase();
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  return trusted.some((entry) => {
    if (entry.startsWith("*.")) return host.endsWith(entry.slice(1));
    const colon = entry.startsWith("[") ? entry.indexOf("]:") + 1 : entry.lastIndexOf(":");
    if (colon <= 0) return entry === host;
    return entry.slice(0, colon) === host && entry.slice(colon + 1) === port;
  });
}
