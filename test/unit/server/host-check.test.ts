import { describe, expect, it } from "vitest";
import { allowedHosts } from "../../../src/server/host-check.js";

describe("the Host header check (DNS rebinding)", () => {
  it("on loopback answers only this server's own names, with or without the port", () => {
    const hosts = allowedHosts("127.0.0.1", 8080) as Set<string>;
    for (const ok of ["127.0.0.1:8080", "localhost:8080", "localhost", "[::1]:8080"]) expect(hosts.has(ok)).toBe(true);
    for (const bad of ["attacker.example", "attacker.example:8080", "127.0.0.1.nip.io:8080", "localhost:8081"])
      expect(hosts.has(bad)).toBe(false);
    expect(allowedHosts("::1", 9)?.has("[::1]:9")).toBe(true);
  });

  it("leaves a server on other addresses to its operator", () => {
    expect(allowedHosts("0.0.0.0", 8080)).toBeUndefined();
    expect(allowedHosts("10.1.2.3", 8080)).toBeUndefined();
  });
});
