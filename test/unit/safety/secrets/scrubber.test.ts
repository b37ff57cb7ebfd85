import { MemorySaver } from "@langchain/langgraph";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ScrubbingSerializer, scrubCheckpoints } from "../../../../src/persistence/scrubbed-storage.js";
import { isSecretEnvName, isSecretField } from "../../../../src/safety/secrets/patterns.js";
import { REDACTED, SecretScrubber } from "../../../../src/safety/secrets/scrubber.js";
import { type Logger, scrubbingLogger } from "../../../../utils/logger.js";

const TOKEN = "sk-unit-4f9a2c7e";

describe("which names are secret", () => {
  it("matches *_KEY, *_API_KEY, *_TOKEN, *_SECRET and *PASSWORD* in any case, not look-alikes", () => {
    for (const name of [
      "OPENAI_API_KEY",
      "GITHUB_TOKEN",
      "aws_secret",
      "DB_PASSWORD",
      "PASSWORD_FILE",
      "my_passwd",
      "STRIPE_APIKEY",
      "KEY",
    ]) {
      expect(isSecretEnvName(name), name).toBe(true);
    }
    for (const name of ["PWD", "OLDPWD", "KEYBOARD", "TOKENIZER", "HOME", "PATH", "SECRETARY"])
      expect(isSecretEnvName(name), name).toBe(false);
  });

  it("matches credential headers and secret-named fields, not usage counters or idempotency keys", () => {
    for (const key of [
      "Authorization",
      "proxy-authorization",
      "Cookie",
      "Set-Cookie",
      "X-Api-Key",
      "x-auth-token",
      "apiKey",
      "api_key",
      "access_token",
      "client_secret",
      "password",
      "db_password_file",
    ]) {
      expect(isSecretField(key), key).toBe(true);
    }
    for (const key of ["Idempotency-Key", "prompt_tokens", "max_tokens", "key", "content-type", "status"])
      expect(isSecretField(key), key).toBe(false);
  });
});

describe("SecretScrubber", () => {
  it("knows the values of the environment's secret-named variables and the passwords in its URLs", () => {
    const s = SecretScrubber.fromEnv({
      MY_API_TOKEN: TOKEN,
      SHORT_KEY: "abc",
      FLAG_SECRET: "true",
      HOME: "/home/me-long",
      DATABASE_URL: "postgres://app:pg-pass-991@db:5432/x",
    });
    expect(s.scrubString(`token ${TOKEN} home /home/me-long`)).toBe(`token ${REDACTED} home /home/me-long`);
    expect(s.scrubString("short abc, flag true")).toBe("short abc, flag true");
    expect(s.scrubString("it was pg-pass-991")).toBe(`it was ${REDACTED}`);
  });

  it("recognises secret shapes in any text: URL passwords, secret query parameters, Bearer and Basic credentials", () => {
    const s = new SecretScrubber();
    expect(s.scrubString("GET https://bob:hunter2x@api.example.com/v1?q=1&api_key=abc123&x=2")).toBe(
      `GET https://bob:${REDACTED}@api.example.com/v1?q=1&api_key=${REDACTED}&x=2`,
    );
    expect(s.scrubString("Authorization: Bearer eyJhbGciOi.J9x")).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(s.scrubString("Basic dXNlcjpwYXNz")).toBe(`Basic ${REDACTED}`);
    // Prose and references are not credentials.
    expect(s.scrubString("Basic authentication failed; use Bearer tokens")).toBe("Basic authentication failed; use Bearer tokens");
    expect(s.scrubString("https://bob:{{env.PW}}@h/?token={{env.T}}")).toBe("https://bob:{{env.PW}}@h/?token={{env.T}}");
  });

  it("redacts secret fields, keeping the scheme and {{references}}, and never changes its input", () => {
    const s = new SecretScrubber().learn(TOKEN);
    const input = {
      headers: { Authorization: "Bearer abc", "X-Api-Key": "k-123456", Cookie: "a=b", Accept: "json", "X-Ref": "Bearer {{env.T}}" },
      response: { headers: { "set-cookie": ["s=1", "t=2"] }, data: { note: `echo ${TOKEN}`, count: 3, token_count: 2 } },
      list: [{ password: "p", n: 1 }],
    };
    const copy = structuredClone(input);
    const out = s.scrub(input);
    expect(input).toEqual(copy);
    expect(out).toEqual({
      headers: {
        Authorization: `Bearer ${REDACTED}`,
        "X-Api-Key": REDACTED,
        Cookie: REDACTED,
        Accept: "json",
        "X-Ref": "Bearer {{env.T}}",
      },
      response: { headers: { "set-cookie": [REDACTED, REDACTED] }, data: { note: `echo ${REDACTED}`, count: 3, token_count: 2 } },
      list: [{ password: REDACTED, n: 1 }],
    });
    expect(out.headers.Accept).toBe("json");
    expect(out.response.data).not.toBe(input.response.data);
  });

  it("returns its input itself when there is nothing to scrub", () => {
    const s = new SecretScrubber().learn(TOKEN);
    const value = { a: [1, "two", { b: "three" }], c: null };
    expect(s.scrub(value)).toBe(value);
  });

  it("keeps a __proto__ key as data and scrubs errors into copies of the same class", () => {
    const s = new SecretScrubber().learn(TOKEN);
    const parsed = JSON.parse(`{"__proto__": {"x": "${TOKEN}"}}`) as Record<string, unknown>;
    const out = s.scrub(parsed);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, "__proto__")?.value).toEqual({ x: REDACTED });
    class CustomError extends Error {
      readonly details = { url: `https://u:${TOKEN}@h/` };
    }
    const err = new CustomError(`failed with ${TOKEN}`);
    const clean = s.scrub(err);
    expect(clean).toBeInstanceOf(CustomError);
    expect(clean.message).toBe(`failed with ${REDACTED}`);
    expect(clean.stack).not.toContain(TOKEN);
    expect(clean.details.url).toBe(`https://u:${REDACTED}@h/`);
    expect(err.message).toContain(TOKEN);
  });

  it("learns the secrets written in a plan: header values, cookies, URL passwords (and their Basic form), query secrets", () => {
    const s = new SecretScrubber().learnFrom({
      tasks: [
        {
          action_config: {
            url: "http://alice:pw-plan-771@127.0.0.1:9/x?access_token=qt-plan-552",
            headers: { Authorization: "Bearer hb-plan-113", Cookie: "theme=dark; session=ck-plan-334", "X-Ref": "{{env.SOME_TOKEN}}" },
          },
        },
      ],
      variables: { password: "var-plan-998" },
    });
    const basic = Buffer.from("alice:pw-plan-771").toString("base64");
    const text = `pw-plan-771 qt-plan-552 hb-plan-113 ck-plan-334 var-plan-998 ${basic} {{env.SOME_TOKEN}}`;
    expect(s.scrubString(text)).toBe(`${Array(6).fill(REDACTED).join(" ")} {{env.SOME_TOKEN}}`);
  });

  it("scrubs serialized JSON into valid JSON, and leaves it as it is when there is nothing to scrub", () => {
    const s = new SecretScrubber().learn('we"ird\\secret');
    const text = JSON.stringify({ a: 'x we"ird\\secret y', headers: { authorization: "Token zzz" }, n: 1 });
    expect(JSON.parse(s.scrubJson(text))).toEqual({ a: `x ${REDACTED} y`, headers: { authorization: `Token ${REDACTED}` }, n: 1 });
    const clean = JSON.stringify({ a: "nothing here", n: [1, 2] });
    expect(s.scrubJson(clean)).toBe(clean);
  });

  it("never lets a known secret through, wherever it sits in a value (property)", () => {
    const secret = fc.string({ minLength: 8, maxLength: 24 }).filter((v) => v.trim() === v && !v.includes("{{"));
    fc.assert(
      fc.property(secret, fc.jsonValue(), fc.string(), fc.string(), (planted, json, before, after) => {
        const s = new SecretScrubber().learn(planted);
        const value = { json, deep: [{ text: `${before}${planted}${after}` }] };
        const scrubbed = JSON.stringify(s.scrub(value));
        const fromText = s.scrubJson(JSON.stringify(value));
        for (const out of [scrubbed, fromText]) {
          expect(JSON.parse(out)).toBeDefined();
          expect(out.includes(JSON.stringify(planted).slice(1, -1))).toBe(false);
        }
      }),
    );
  });
});

describe("storage and logs", () => {
  it("a saver's serializer stores checkpoints scrubbed and loads them back as stored", async () => {
    const secrets = new SecretScrubber().learn(TOKEN);
    const saver = scrubCheckpoints(new MemorySaver(), secrets);
    expect(saver.serde).toBeInstanceOf(ScrubbingSerializer);
    expect(scrubCheckpoints(saver, secrets).serde).toBe(saver.serde);
    const [type, bytes] = await saver.serde.dumpsTyped({ tasks: { t: { result: { echoed: `Bearer ${TOKEN}` }, when: new Set([1]) } } });
    const text = new TextDecoder().decode(bytes);
    expect(text).not.toContain(TOKEN);
    const loaded = (await saver.serde.loadsTyped(type, bytes)) as { tasks: { t: { result: { echoed: string }; when: Set<number> } } };
    expect(loaded.tasks.t.result.echoed).toBe(`Bearer ${REDACTED}`);
    expect(loaded.tasks.t.when).toEqual(new Set([1]));
  });

  it("the engine's logger wrapper scrubs messages, fields and child bindings of any logger", () => {
    const lines: unknown[][] = [];
    const recording = (bindings: Record<string, unknown> = {}): Logger => {
      const log = (...args: unknown[]) => void lines.push([bindings, ...args]);
      return { trace: log, debug: log, info: log, warn: log, error: log, child: (b) => recording({ ...bindings, ...b }) };
    };
    const logger = scrubbingLogger(recording(), new SecretScrubber().learn(TOKEN));
    logger.child({ url: `https://x/?token=${TOKEN}` }).info({ anything: TOKEN, headers: { cookie: "c=1" } }, `sent ${TOKEN}`);
    logger.warn(`plain ${TOKEN}`);
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
    expect(lines[0]).toEqual([
      { url: `https://x/?token=${REDACTED}` },
      { anything: REDACTED, headers: { cookie: REDACTED } },
      `sent ${REDACTED}`,
    ]);
    expect(lines[1]).toEqual([{}, `plain ${REDACTED}`]);
  });
});
