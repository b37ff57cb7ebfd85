import { REDACTED } from "../../../utils/redacted.js";
/**
 * What counts as a secret: the names of secret environment variables and fields, and the shapes of
 * secrets inside text (passwords in URLs, secret query parameters, `Bearer`/`Basic` credentials).
 * Pure data and small predicates; the scrubber (secrets.ts) compiles them.
 */

/** The text that replaces a secret everywhere it would be stored, printed, logged or published. */
export { REDACTED };

/**
 * Shorter values are never treated as secrets: a 3-character `*_KEY` value would redact every
 * occurrence of those letters. Real keys, tokens and passwords are longer.
 */
const MIN_SECRET_LENGTH = 6;

/** Values that secret-named variables hold without being secrets (flags, placeholders). */
const NOT_SECRETS = new Set(["true", "false", "null", "none", "undefined", "enabled", "disabled", "default"]);

/** `*_KEY`, `*_API_KEY`, `*APIKEY`, `*_TOKEN`, `*_SECRET`, `*PASSWORD*`, `*PASSWD*` (any case). */
const SECRET_ENV_NAME = /(?:^|_)(?:KEY|TOKEN|SECRET)$|APIKEY$|PASSWORD|PASSWD/i;

/**
 * Fields (object keys, header names) whose values are secrets: credential headers, `*-key` /
 * `*-token` style headers, and keys naming an API key, token, secret or password.
 */
const SECRET_FIELD_BODY =
  `(?:proxy-)?authorization|cookie|set-cookie|x-[a-z0-9-]*-(?:key|token|secret|signature|auth)` +
  `|[^"]*(?:api[-_]?key|access[-_]?key|secret[-_]?key|private[-_]?key|token|secret|passphrase|credentials?)` +
  `|[^"]*passw(?:or)?d[^"]*`;
const SECRET_FIELD = new RegExp(`^(?:${SECRET_FIELD_BODY})$`, "i");

/** A secret field as a key in JSON text: `"authorization":`. */
export const SECRET_FIELD_IN_JSON = String.raw`"(?:${SECRET_FIELD_BODY})"\s*:`;

/** Query parameters whose values are secrets (`?api_key=...`, `&token=...`, S3 signatures...). */
const QUERY_SECRET_NAMES =
  `api[-_]?key|apikey|key|(?:access|refresh|id|auth)[-_]?token|token|client[-_]?secret|secret` +
  `|password|passwd|pwd|sig|signature|x-amz-signature|x-amz-security-token|x-amz-credential`;

/**
 * The shapes of secrets in text, as one alternation with named groups (the scrubber adds the known
 * values in front). Values stop at quotes and backslashes so that scrubbing JSON text keeps it valid.
 */
export const SECRET_SHAPES = [
  // scheme://user:PASSWORD@host
  String.raw`(?<url>\b[a-z][a-z0-9+.-]*:\/\/[^\s/?#@:"'<>\\]*:)(?<pw>[^\s/?#@"'<>\\]+)@`,
  // ?api_key=VALUE, &token=VALUE
  String.raw`(?<q>[?&;](?:${QUERY_SECRET_NAMES})=)(?<qv>[^&#\s"'<>\\]+)`,
  // Bearer TOKEN, Basic BASE64
  String.raw`\b(?<scheme>Bearer|Basic)\s+(?<tok>[A-Za-z0-9._~+/-]{8,}=*)`,
].join("|");

/** True for an environment variable whose value is a secret. */
export function isSecretEnvName(name: string): boolean {
  return SECRET_ENV_NAME.test(name);
}

/** True for a field (object key, header name) whose value is a secret. */
export function isSecretField(key: string): boolean {
  return SECRET_FIELD.test(key);
}

/** True when a value is long and specific enough to be looked for as a secret. */
export function isSecretCandidate(value: string): boolean {
  return value.length >= MIN_SECRET_LENGTH && !NOT_SECRETS.has(value.toLowerCase()) && value !== REDACTED && !value.includes("{{");
}

/** A value the shapes must leave alone: already redacted, or a `{{reference}}` resolved when the task starts. */
export function isPlaceholder(value: string): boolean {
  return value.startsWith("{{") || value === REDACTED || value === encodeURIComponent(REDACTED);
}

/**
 * True when the word after `Bearer`/`Basic` looks like a credential rather than prose ("Basic
 * authentication"): it has a digit, a base64 symbol, or a capital letter after its first character.
 */
export function looksLikeCredential(token: string): boolean {
  return /[0-9=+/_.~-]/.test(token) || /[A-Z]/.test(token.slice(1));
}

/** The credential in a header value without its scheme: `Bearer abc` -> `abc`; undefined without a scheme. */
export function credentialOf(value: string): { scheme: string; credential: string } | undefined {
  const m = /^(Bearer|Basic|Token|Digest)\s+(\S.*)$/i.exec(value.trim());
  return m ? { scheme: m[1] as string, credential: m[2] as string } : undefined;
}

/** Escape a value for use inside a RegExp. */
export function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
