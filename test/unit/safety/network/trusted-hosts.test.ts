import { describe, expect, it } from "vitest";
import { SafetySettings } from "../../../../src/model/safety-policy.js";
import { validatePlan } from "../../../../src/plan/validate.js";
import { checkDestination } from "../../../../src/safety/network/guard.js";
import { hostsWrittenIn, isTrustedHost, normaliseHostEntry } from "../../../../src/safety/network/trusted-hosts.js";
import { buildRunSafety } from "../../../../src/safety/run-safety.js";
import { silentLogger } from "../../../../utils/logger.js";

const trusts = (trusted: readonly string[], raw: string) => isTrustedHost(new URL(raw), trusted);

describe("a URL written by the user trusts its host and port, not every port", () => {
  it.each([
    ["http://host/help", "host:80"],
    ["https://host/help", "host:443"],
    ["http://host:80/x", "host:80"],
    ["https://host:443/x", "host:443"],
    ["http://host:8080/x", "host:8080"],
    ["https://HOST.example.com/x?y", "host.example.com:443"],
    ["http://0x7f.1/x", "127.0.0.1:80"],
    ["http://[::1]/x", "[::1]:80"],
    ["http://user:pw@10.0.0.5/x", "10.0.0.5:80"],
  ])("%s trusts %s", (url, entry) => {
    expect([...hostsWrittenIn(`see ${url}.`)]).toEqual([entry]);
  });

  it("the default port of the scheme only: a portless http URL does not open the host's other ports", () => {
    const trusted = [...hostsWrittenIn("the docs are at http://127.0.0.1/help")];
    expect(trusts(trusted, "http://127.0.0.1/other")).toBe(true);
    expect(trusts(trusted, "http://127.0.0.1:80/x")).toBe(true);
    for (const other of ["http://127.0.0.1:47002/secret-admin", "https://127.0.0.1/x", "http://127.0.0.1:8080/", "http://127.0.0.1:443/"]) {
      expect(trusts(trusted, other), other).toBe(false);
      expect(() => checkDestination(new URL(other), trusted), other).toThrow(expect.objectContaining({ code: "NETWORK_REFUSED" }));
    }
  });

  it("a portless https URL trusts 443 only", () => {
    const trusted = [...hostsWrittenIn("POST to https://10.0.0.5/api")];
    expect(trusts(trusted, "https://10.0.0.5/x")).toBe(true);
    expect(trusts(trusted, "http://10.0.0.5/x")).toBe(false);
    expect(trusts(trusted, "https://10.0.0.5:8443/x")).toBe(false);
  });
});

describe("an --allow-host entry the user wrote on purpose", () => {
  it("a bare host trusts every port of it", () => {
    const trusted = [normaliseHostEntry("127.0.0.1")];
    expect(trusted).toEqual(["127.0.0.1"]);
    for (const url of ["http://127.0.0.1/", "http://127.0.0.1:47002/", "https://127.0.0.1:8443/"])
      expect(trusts(trusted, url), url).toBe(true);
  });

  it("host:port trusts that port only, also when it is the scheme's default", () => {
    expect(normaliseHostEntry("127.0.0.1:80")).toBe("127.0.0.1:80");
    expect(normaliseHostEntry("http://127.0.0.1:80/x")).toBe("127.0.0.1:80");
    expect(normaliseHostEntry("https://api.example.com:443")).toBe("api.example.com:443");
    expect(normaliseHostEntry("[::1]:80")).toBe("[::1]:80");
    expect(normaliseHostEntry("user@10.0.0.5:8080")).toBe("10.0.0.5:8080");
    const trusted = [normaliseHostEntry("127.0.0.1:80")];
    expect(trusts(trusted, "http://127.0.0.1/")).toBe(true);
    expect(trusts(trusted, "http://127.0.0.1:47002/")).toBe(false);
  });

  it("a URL without a port, as an --allow-host entry, names the host: every port", () => {
    expect(normaliseHostEntry("https://api.example.com/v1")).toBe("api.example.com");
  });
});

describe("buildRunSafety", () => {
  const plan = validatePlan({ tasks: [{ id: "get", action_type: "api_call", action_config: { url: "http://127.0.0.1/help" } }] });
  const build = (allowHosts: string[], goal?: string) =>
    buildRunSafety({
      settings: SafetySettings.parse({ allowHosts }),
      plan,
      planner: "provided",
      variables: { docs: "http://10.0.0.5/readme" },
      logger: silentLogger(),
      ...(goal ? { goal } : {}),
    });

  it("trusts each URL the user wrote at its port, and each bare --allow-host at every port", () => {
    const safety = build(["db.internal", "cache.internal:6380"], "read http://docs.internal/help first");
    expect([...safety.trustedHosts].sort()).toEqual([
      "10.0.0.5:80",
      "127.0.0.1:80",
      "cache.internal:6380",
      "db.internal",
      "docs.internal:80",
    ]);
    expect(trusts(safety.trustedHosts, "http://docs.internal:47002/secret-admin")).toBe(false);
    expect(trusts(safety.trustedHosts, "http://db.internal:5984/")).toBe(true);
  });
});
