import {
  credentialOf,
  escapeRegExp,
  isPlaceholder,
  isSecretCandidate,
  isSecretEnvName,
  isSecretField,
  looksLikeCredential,
  REDACTED,
  SECRET_FIELD_IN_JSON,
  SECRET_SHAPES,
} from "./patterns.js";

export { REDACTED } from "./patterns.js";

/** Objects nested deeper than this are left as they are (and cycles end here). */
const MAX_DEPTH = 64;

interface Compiled {
  /** Known values and secret shapes: what `scrubString` replaces. */
  replace: RegExp;
  /** The same, plus secret field names as JSON keys: whether serialized JSON needs a closer look. */
  probe: RegExp;
}

type Groups = Partial<Record<"known" | "url" | "pw" | "q" | "qv" | "scheme" | "tok", string>>;

/**
 * The one secret scrubber. It knows secret values (environment variables named like secrets, and
 * what `learnFrom` finds in plans, variables and configs) and the shapes of secrets in any text, and
 * replaces them with `[redacted]`. Checkpoints, run records, events, results and logs all pass
 * through it. A value holding no secret comes back as the same reference (nothing is copied); one
 * that does comes back as a copy: the input is never changed.
 */
export class SecretScrubber {
  private readonly known = new Set<string>();
  private compiled: Compiled | undefined;

  /** A scrubber knowing the values of the secret-named variables of `env` and the passwords in its URLs. */
  static fromEnv(env: Readonly<Record<string, string | undefined>>): SecretScrubber {
    const scrubber = new SecretScrubber();
    for (const [name, value] of Object.entries(env)) {
      if (!value) continue;
      if (isSecretEnvName(name)) scrubber.learn(value);
      if (value.includes("://")) scrubber.learnFrom(value);
    }
    return scrubber;
  }

  /** How many secret values (with their encodings) are known. */
  get size(): number {
    return this.known.size;
  }

  /** Remember secret values (and their URL- and JSON-encoded forms); short or placeholder values are ignored. */
  learn(...values: string[]): this {
    for (const raw of values) {
      const value = raw.trim();
      if (!isSecretCandidate(value)) continue;
      for (const form of [value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]) {
        if (!this.known.has(form)) {
          this.known.add(form);
          this.compiled = undefined;
        }
      }
    }
    return this;
  }

  /**
   * Remember the secrets written in a plan, variables or an action config: values of secret fields
   * (`Authorization`, `Cookie`, `X-Api-Key`, `password`, ...), passwords in URLs, secret query
   * parameters and `Bearer`/`Basic` credentials. `{{references}}` are not values and are skipped.
   */
  learnFrom(value: unknown, depth = 0): this {
    if (typeof value === "string") this.learnShapes(value);
    else if (Array.isArray(value) && depth < MAX_DEPTH) for (const v of value) this.learnFrom(v, depth + 1);
    else if (isPlainObject(value) && depth < MAX_DEPTH) {
      for (const [key, v] of Object.entries(value)) {
        if (isSecretField(key)) this.learnField(v, depth + 1);
        this.learnFrom(v, depth + 1);
      }
    }
    return this;
  }

  /** `value` with every secret replaced; the same reference when it holds none. */
  scrub<T>(value: T): T {
    return this.walk(value, false, 0) as T;
  }

  /** A string with every known secret and secret shape replaced. */
  scrubString(text: string): string {
    if (text.length < 6) return text;
    return text.replace(this.regexes().replace, replaceMatch);
  }

  /** Text of any kind (a log line, JSON): known secrets and secret shapes replaced, the rest untouched. */
  scrubText(text: string): string {
    return this.scrubString(text);
  }

  /**
   * Serialized JSON with secrets replaced, including the values of secret fields. Cheap when there is
   * nothing to replace: one regular expression over the text, which comes back unchanged.
   */
  scrubJson(text: string): string {
    if (text.search(this.regexes().probe) === -1) return text;
    try {
      return JSON.stringify(this.scrub(JSON.parse(text)));
    } catch {
      return this.scrubText(text);
    }
  }

  /** True when `text` holds a known secret value (a check for tests and guards). */
  contains(text: string): boolean {
    for (const value of this.known) if (text.includes(value)) return true;
    return false;
  }

  private learnShapes(text: string): void {
    if (text.length < 6) return;
    for (const m of text.matchAll(new RegExp(SECRET_SHAPES, "gi"))) {
      const g = (m.groups ?? {}) as Groups;
      if (g.pw !== undefined && !isPlaceholder(g.pw)) this.learnUrlPassword(g.url ?? "", g.pw);
      else if (g.qv !== undefined && !isPlaceholder(g.qv)) this.learn(g.qv, safeDecode(g.qv));
      else if (g.tok !== undefined && looksLikeCredential(g.tok)) this.learnCredential(g.scheme ?? "", g.tok);
    }
  }

  private learnUrlPassword(prefix: string, password: string): void {
    const user = safeDecode(prefix.replace(/^.*:\/\//, "").slice(0, -1));
    const plain = safeDecode(password);
    this.learn(password, plain, Buffer.from(`${user}:${plain}`).toString("base64"));
  }

  private learnCredential(scheme: string, credential: string): void {
    this.learn(credential);
    if (scheme.toLowerCase() !== "basic") return;
    const decoded = Buffer.from(credential, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon > 0) this.learn(decoded.slice(colon + 1));
  }

  /** The value of a secret field: the whole value, its credential without the scheme, each cookie's value. */
  private learnField(value: unknown, depth: number): void {
    if (typeof value !== "string") {
      if (typeof value === "object" && value !== null && depth < MAX_DEPTH) {
        for (const v of Object.values(value)) this.learnField(v, depth + 1);
      }
      return;
    }
    if (value.includes("{{")) return;
    const credential = credentialOf(value);
    // With a scheme only the credential is secret: output keeps "Bearer [redacted]", which says what was there.
    if (credential) this.learnCredential(credential.scheme, credential.credential);
    else this.learn(value);
    for (const pair of value.split(";")) {
      const eq = pair.indexOf("=");
      if (eq > 0) this.learn(pair.slice(eq + 1));
    }
  }

  private walk(value: unknown, secretField: boolean, depth: number): unknown {
    if (typeof value === "string") return secretField ? this.redactField(value) : this.scrubString(value);
    if (value === null || typeof value !== "object" || depth > MAX_DEPTH) return value;
    if (Array.isArray(value)) {
      let out: unknown[] | undefined;
      for (const [i, v] of value.entries()) {
        const s = this.walk(v, secretField, depth + 1);
        if (s === v) continue;
        out ??= value.slice();
        out[i] = s;
      }
      return out ?? value;
    }
    if (value instanceof Error) return this.scrubError(value, depth);
    if (!isPlainObject(value)) return value;
    let out: Record<string, unknown> | undefined;
    for (const [key, v] of Object.entries(value)) {
      const s = this.walk(v, secretField || isSecretField(key), depth + 1);
      // defineProperty: a "__proto__" key must stay data, never become a prototype.
      if (s === v) continue;
      out ??= { ...value };
      Object.defineProperty(out, key, { value: s, enumerable: true, writable: true, configurable: true });
    }
    return out ?? value;
  }

  /** A secret field's value: `[redacted]`, keeping an auth scheme and `{{references}}` (not secrets themselves). */
  private redactField(value: string): string {
    if (value === "" || value === REDACTED) return value;
    if (value.includes("{{")) return this.scrubString(value);
    const credential = credentialOf(value);
    return credential ? `${credential.scheme} ${REDACTED}` : REDACTED;
  }

  /** An Error whose message, stack or fields hold a secret comes back as a copy of the same class. */
  private scrubError(error: Error, depth: number): Error {
    const message = this.scrubString(error.message);
    const stack = error.stack === undefined ? undefined : this.scrubString(error.stack);
    const own = { ...error };
    const fields = this.walk(own, false, depth + 1);
    if (message === error.message && stack === error.stack && fields === own) return error;
    const copy = Object.assign(Object.create(Object.getPrototypeOf(error) as object) as Error, fields);
    Object.defineProperty(copy, "message", { value: message, writable: true, configurable: true });
    if (stack !== undefined) Object.defineProperty(copy, "stack", { value: stack, writable: true, configurable: true });
    return copy;
  }

  private regexes(): Compiled {
    if (!this.compiled) {
      // Longest first, so a secret that contains another is replaced whole.
      const known = [...this.known].sort((a, b) => b.length - a.length).map(escapeRegExp);
      const source = known.length ? `(?<known>${known.join("|")})|${SECRET_SHAPES}` : SECRET_SHAPES;
      this.compiled = { replace: new RegExp(source, "gi"), probe: new RegExp(`${source}|${SECRET_FIELD_IN_JSON}`, "i") };
    }
    return this.compiled;
  }
}

function replaceMatch(match: string, ...rest: unknown[]): string {
  const g = rest[rest.length - 1] as Groups;
  if (g.known !== undefined) return REDACTED;
  if (g.pw !== undefined) return isPlaceholder(g.pw) ? match : `${g.url}${REDACTED}@`;
  if (g.qv !== undefined) return isPlaceholder(g.qv) ? match : `${g.q}${REDACTED}`;
  if (g.tok !== undefined) return looksLikeCredential(g.tok) ? `${g.scheme} ${REDACTED}` : match;
  return match;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
