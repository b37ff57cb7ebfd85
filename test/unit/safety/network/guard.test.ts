import type { LookupAddress } from "node:dns";
import type { LookupFunction } from "node:net";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WorkflowError } from "../../../../src/model/errors.js";
import { addressRange } from "../../../../src/safety/network/address-range.js";
import { checkDestination, guardedLookup, type HostResolver, systemResolver } from "../../../../src/safety/network/guard.js";
import { hostsWrittenIn, isTrustedHost, normaliseHostEntry } from "../../../../src/safety/network/trusted-hosts.js";

/** The error `checkDestination` throws for `raw` (fails the test when it does not throw). */
function refusal(raw: string, trusted: readonly string[] = []): WorkflowError {
  try {
    checkDestination(new URL(raw), trusted);
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowError);
    return err as WorkflowError;
  }
  throw new Error(`${raw} was not refused`);
}

/** Run a `lookup` as Node's net would (all addresses wanted) and settle with its answer or error. */
function lookUp(lookup: LookupFunction, hostname: string, all = true): Promise<string | LookupAddress[]> {
  return new Promise((resolve, reject) => {
    lookup(hostname, { all, family: 0 }, (err, address) => (err ? reject(err) : resolve(address)));
  });
}

/** A resolver that knows only the names it is given (no DNS query leaves the machine). */
function staticResolver(names: Record<string, string[]>): HostResolver {
  return async (hostname) => (names[hostname] ?? []).map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
}

// Every host here is an IP literal: refused by the URL check, before any lookup or connection.
const HOSTILE_LITERALS: [url: string, address: string, range: string][] = [
  ["http://127.0.0.1/", "127.0.0.1", "loopback"],
  ["https://127.0.0.1:8443/admin", "127.0.0.1", "loopback"],
  ["http://127.1/", "127.0.0.1", "loopback"],
  ["http://2130706433/", "127.0.0.1", "loopback"],
  ["http://0177.0.0.1/", "127.0.0.1", "loopback"],
  ["http://0x7f.0.0.1/", "127.0.0.1", "loopback"],
  ["http://0x7f.1/", "127.0.0.1", "loopback"],
  ["http://017700000001/", "127.0.0.1", "loopback"],
  ["http://0.0.0.0:8080/", "0.0.0.0", "unspecified"],
  ["http://[::]/", "::", "unspecified"],
  ["http://[::1]:3000/", "::1", "loopback"],
  ["http://[::ffff:127.0.0.1]/", "::ffff:7f00:1", "loopback"],
  ["http://[::ffff:7f00:1]/", "::ffff:7f00:1", "loopback"],
  ["http://[0:0:0:0:0:ffff:a00:1]/", "::ffff:a00:1", "private"],
  ["http://10.0.0.1/", "10.0.0.1", "private"],
  ["http://172.16.5.4/", "172.16.5.4", "private"],
  ["http://192.168.1.1/", "192.168.1.1", "private"],
  ["http://169.254.169.254/latest/meta-data/", "169.254.169.254", "linkLocal"],
  ["http://100.64.0.1/", "100.64.0.1", "carrierGradeNat"],
  ["http://224.0.0.1/", "224.0.0.1", "multicast"],
  ["http://255.255.255.255/", "255.255.255.255", "broadcast"],
  ["http://240.0.0.1/", "240.0.0.1", "reserved"],
  ["http://[fe80::1]/", "fe80::1", "linkLocal"],
  ["http://[fc00::1]/", "fc00::1", "uniqueLocal"],
  ["http://[fd12:3456::1]/", "fd12:3456::1", "uniqueLocal"],
  ["http://[ff02::1]/", "ff02::1", "multicast"],
  ["http://[2002:7f00:1::]/", "2002:7f00:1::", "6to4"],
  ["http://[2001::1]/", "2001::1", "teredo"],
  ["http://[64:ff9b::7f00:1]/", "64:ff9b::7f00:1", "rfc6052"],
  ["http://[::7f00:1]/", "::7f00:1", "ipv4Compatible"],
];

const HOSTILE_SCHEMES = [
  "file:///etc/passwd",
  "gopher://127.0.0.1:70/_SET%20x",
  "ftp://ftp.example.com/pub/file",
  "data:text/plain,hello",
  "javascript:alert(1)",
  "dict://127.0.0.1:11211/stats",
  "ldap://127.0.0.1/",
  "ws://127.0.0.1:9000/",
];

describe("checkDestination: non-public IP literals", () => {
  it.each(HOSTILE_LITERALS)("refuses %s (%s, %s)", (url, address, range) => {
    const err = refusal(url);
    expect(err).toMatchObject({ code: "NETWORK_REFUSED", retryable: false });
    expect(err.details).toMatchObject({ rule: "non-public-address", address, range });
  });

  it("names the rule, the URL and the three settings that would allow it", () => {
    const err = refusal("http://10.0.0.5:8080/items?x=1");
    const allow = ['allowHosts: ["10.0.0.5:8080"]', "ALLOW_HOSTS=10.0.0.5:8080"];
    expect(err.details).toEqual({
      rule: "non-public-address",
      url: "http://10.0.0.5:8080/items?x=1",
      host: "10.0.0.5",
      address: "10.0.0.5",
      range: "private",
      allow,
    });
    expect(err.message).toContain("Refused to connect to http://10.0.0.5:8080/items?x=1: 10.0.0.5 is a private network address");
    for (const setting of allow) expect(err.message).toContain(setting);
  });

  it("keeps credentials out of the message and details", () => {
    const err = refusal("http://admin:hunter2@192.168.0.10/");
    expect(err.message).not.toContain("hunter2");
    expect(JSON.stringify(err.details)).not.toContain("hunter2");
  });

  it("lets public literals and host names through (names are checked after resolution)", () => {
    expect(() => checkDestination(new URL("https://93.184.216.34/"), [])).not.toThrow();
    expect(() => checkDestination(new URL("https://[2606:4700::1111]/"), [])).not.toThrow();
    expect(() => checkDestination(new URL("http://localhost:8080/"), [])).not.toThrow();
  });

  it("agrees with the address classification for every IPv4 address written as one decimal number", () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 32 - 1 }), (n) => {
        const dotted = [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join(".");
        const refused = (() => {
          try {
            checkDestination(new URL(`http://${n}/`), []);
            return false;
          } catch {
            return true;
          }
        })();
        expect(refused).toBe(addressRange(dotted) !== "unicast");
      }),
    );
  });
});

describe("checkDestination: schemes", () => {
  it.each(HOSTILE_SCHEMES)("refuses %s even when its host is trusted", (url) => {
    const err = refusal(url, ["127.0.0.1", "ftp.example.com"]);
    expect(err).toMatchObject({ code: "NETWORK_REFUSED", retryable: false });
    expect(err.details).toMatchObject({ rule: "scheme", allow: [] });
    expect(err.message).toContain("only speaks http: and https:");
  });

  it("says when the refused URL came from a redirect", () => {
    let err: unknown;
    try {
      checkDestination(new URL("file:///etc/passwd"), [], "http://127.0.0.1:4000/r");
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: "NETWORK_REFUSED", details: { rule: "scheme", redirected_from: "http://127.0.0.1:4000/r" } });
    expect((err as Error).message).toContain("Refused to follow the redirect from http://127.0.0.1:4000/r to file:///etc/passwd");
  });
});

describe("trusted hosts", () => {
  it("a trusted entry allows loopback and private literals", () => {
    expect(() => checkDestination(new URL("http://127.0.0.1:8080/x"), ["127.0.0.1"])).not.toThrow();
    expect(() => checkDestination(new URL("http://[::1]:8080/x"), ["[::1]"])).not.toThrow();
    expect(() => checkDestination(new URL("http://10.0.0.5:8080/x"), [normaliseHostEntry("10.0.0.5:8080")])).not.toThrow();
  });

  it("a host:port entry matches only that port (default ports included)", () => {
    const trusted = ["127.0.0.1:8080", "10.0.0.5:80"];
    expect(() => checkDestination(new URL("http://127.0.0.1:8080/"), trusted)).not.toThrow();
    expect(refusal("http://127.0.0.1:9090/", trusted).details).toMatchObject({ rule: "non-public-address" });
    expect(() => checkDestination(new URL("http://10.0.0.5/"), trusted)).not.toThrow();
    expect(refusal("https://10.0.0.5/", trusted).details).toMatchObject({ rule: "non-public-address" });
  });

  it("trust is by the host as WHATWG parses it, so another spelling of a trusted address is trusted too", () => {
    expect(() => checkDestination(new URL("http://0x7f.1:8080/"), ["127.0.0.1:8080"])).not.toThrow();
    expect(normaliseHostEntry("0x7f.1")).toBe("127.0.0.1");
  });

  it("*.example.com trusts subdomains, not the domain itself or look-alikes", () => {
    const trusted = [normaliseHostEntry("*.Example.com")];
    expect(isTrustedHost(new URL("https://api.example.com/x"), trusted)).toBe(true);
    expect(isTrustedHost(new URL("https://a.b.example.com:8443/x"), trusted)).toBe(true);
    expect(isTrustedHost(new URL("https://example.com/x"), trusted)).toBe(false);
    expect(isTrustedHost(new URL("https://evilexample.com/x"), trusted)).toBe(false);
    expect(isTrustedHost(new URL("https://example.com.evil.org/x"), trusted)).toBe(false);
  });

  it("normalises allowlist entries: URLs, case, bare IPv6", () => {
    expect(normaliseHostEntry(" HTTP://API.Example.com:8080/v1 ")).toBe("api.example.com:8080");
    expect(normaliseHostEntry("::1")).toBe("[::1]");
    expect(normaliseHostEntry("::ffff:127.0.0.1")).toBe("[::ffff:7f00:1]");
    expect(normaliseHostEntry("[::1]:8080")).toBe("[::1]:8080");
    expect(isTrustedHost(new URL("http://[::1]:8080/"), [normaliseHostEntry("[::1]:8080")])).toBe(true);
  });

  it("finds the hosts written in text, without the sentence's punctuation", () => {
    const text = "Fetch http://127.0.0.1:4000. Then post to https://api.example.com/items, and http://10.0.0.5:8080/x!";
    expect([...hostsWrittenIn(text)]).toEqual(["127.0.0.1:4000", "api.example.com:443", "10.0.0.5:8080"]);
    expect([...hostsWrittenIn("on http://[::1]:8080, then http://[::1]")]).toEqual(["[::1]:8080", "[::1]:80"]);
  });
});

describe("guardedLookup: addresses after resolution", () => {
  const target = (raw: string) => new URL(raw);

  it("refuses localhost: the system resolver answers loopback", async () => {
    const err = await lookUp(guardedLookup(target("http://localhost:8080/"), systemResolver), "localhost").catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "NETWORK_REFUSED", details: { rule: "non-public-address", host: "localhost", range: "loopback" } });
    expect((err as Error).message).toContain('allowHosts: ["localhost:8080"]');
  });

  it.each([
    ["rebind.test", ["127.0.0.1"], "loopback"],
    ["metadata.test", ["169.254.169.254"], "linkLocal"],
    ["intranet.test", ["10.1.2.3"], "private"],
    ["mapped.test", ["::ffff:192.168.0.1"], "private"],
    ["v6.test", ["fd00::5"], "uniqueLocal"],
  ])("refuses %s resolving to %j", async (name, addresses, range) => {
    const lookup = guardedLookup(target(`http://${name}/`), staticResolver({ [name]: addresses }));
    const err = await lookUp(lookup, name).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: "NETWORK_REFUSED",
      details: { rule: "non-public-address", host: name, address: addresses[0], range },
    });
  });

  it("refuses when ANY address is non-public, whatever its position", async () => {
    const names = { "mixed.test": ["93.184.216.34", "2606:4700::1111", "127.0.0.1"] };
    const err = await lookUp(guardedLookup(target("http://mixed.test/"), staticResolver(names)), "mixed.test").catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "NETWORK_REFUSED", details: { address: "127.0.0.1" } });
  });

  it("answers public addresses in the form Node asked for", async () => {
    const names = { "public.test": ["93.184.216.34", "2606:4700::1111"] };
    const lookup = guardedLookup(target("http://public.test/"), staticResolver(names));
    expect(await lookUp(lookup, "public.test")).toEqual([
      { address: "93.184.216.34", family: 4 },
      { address: "2606:4700::1111", family: 6 },
    ]);
    expect(await lookUp(lookup, "public.test", false)).toBe("93.184.216.34");
  });

  it("reports a name that resolves to nothing as ENOTFOUND", async () => {
    const err = await lookUp(guardedLookup(target("http://nowhere.test/"), staticResolver({})), "nowhere.test").catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "ENOTFOUND" });
  });
});

describe("addressRange", () => {
  it("classifies IPv4-mapped IPv6 as the IPv4 address it maps", () => {
    fc.assert(
      fc.property(fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)), (octets) => {
        const v4 = octets.join(".");
        expect(addressRange(`::ffff:${v4}`)).toBe(addressRange(v4));
      }),
    );
  });

  it("calls anything that is not an address invalid", () => {
    expect(addressRange("not-an-ip")).toBe("invalid");
    expect(addressRange("")).toBe("invalid");
  });
});
