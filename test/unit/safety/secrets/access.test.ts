import { describe, expect, it } from "vitest";
import { envValues } from "../../../../src/safety/secrets/access.js";
import { SecretScrubber } from "../../../../src/safety/secrets/scrubber.js";

describe("envValues", () => {
  const env = { PLAIN_VALUE: "plain-value-7f3a9c51", HOME_DIR: "/home/someone", EMPTY: "", API_TOKEN: "tok-123456789" };

  it("gives the values of the names the run reads, whatever they are called, and nothing else", () => {
    expect(envValues(env, { envNames: ["PLAIN_VALUE", "HOME_DIR", "EMPTY", "MISSING"] })).toEqual([
      "plain-value-7f3a9c51",
      "/home/someone",
    ]);
    expect(envValues(env, {})).toEqual([]);
  });

  it("teaches a scrubber values that no name or shape would reveal", () => {
    const secrets = SecretScrubber.fromEnv(env);
    const echoed = { data: { headers: { "x-trace": "trace plain-value-7f3a9c51" }, url: "/echo?v=plain-value-7f3a9c51" } };
    expect(secrets.scrub(echoed)).toBe(echoed);
    secrets.learn(...envValues(env, { envNames: ["PLAIN_VALUE"] }));
    expect(secrets.scrub(echoed)).toEqual({ data: { headers: { "x-trace": "trace [redacted]" }, url: "/echo?v=[redacted]" } });
  });
});
