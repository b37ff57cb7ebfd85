import { ErrorCode, WorkflowError } from "../../model/errors.js";
import { hostOf } from "./trusted-hosts.js";

/**
 * The network rules of `api_call`. `scheme`: only http: and https: URLs, whoever wrote them. `non-public-address`:
 * a host the user did not write must resolve only to public (unicast) addresses.
 */
export const NetworkRule = { Scheme: "scheme", NonPublicAddress: "non-public-address" } as const;
export type NetworkRule = (typeof NetworkRule)[keyof typeof NetworkRule];

export interface RefusalInput {
  rule: NetworkRule;
  url: URL;
  /** The address the host is (an IP literal) or resolves to, for `non-public-address`. */
  address?: string;
  /** Its ipaddr.js range: loopback, private, linkLocal... */
  range?: string;
  /** The URL that redirected here, when this is a redirect. */
  redirectedFrom?: string;
}

const RANGE_WORDS: Record<string, string> = {
  loopback: "a loopback address",
  private: "a private network address",
  uniqueLocal: "a unique-local (private) IPv6 address",
  linkLocal: "a link-local address (the range of cloud metadata services such as 169.254.169.254)",
  multicast: "a multicast address",
  broadcast: "the broadcast address",
  unspecified: "an unspecified address (0.0.0.0 or ::, which reaches this machine)",
  carrierGradeNat: "a shared (carrier-grade NAT) address",
  invalid: "not a valid IP address",
};

/** NETWORK_REFUSED: says which rule refused which URL, and what setting (if any) would allow it. */
export function networkRefused(input: RefusalInput): WorkflowError {
  const { rule, url, address, range, redirectedFrom } = input;
  const shown = withoutCredentials(url);
  const host = url.hostname;
  const entry = hostOf(url.href) ?? host;
  const allow = rule === NetworkRule.Scheme ? [] : [`allowHosts: ["${entry}"]`, `ALLOW_HOSTS=${entry}`];
  const what = redirectedFrom ? `Refused to follow the redirect from ${redirectedFrom} to ${shown}` : `Refused to connect to ${shown}`;
  const why =
    rule === NetworkRule.Scheme
      ? `api_call only speaks http: and https:, and ${url.protocol} is neither (rule ${rule}; no setting allows it). ` +
        "Read local files with a file_operation task."
      : `${describeAddress(host, address, range)}. Only hosts the user wrote (in the goal, a plan file, variables or ` +
        `the allowlist) may be on loopback, private, link-local or other non-public addresses (rule ${rule}); this ` +
        "one came from the planner, from fetched data or from a redirect. Nothing was sent to it. If you trust it, allow it: " +
        `${allow[0]} (or ${allow[1]} in the environment).`;
  return new WorkflowError(ErrorCode.NetworkRefused, `${what}: ${why}`, {
    retryable: false,
    details: {
      rule,
      url: shown,
      host,
      ...(address === undefined ? {} : { address }),
      ...(range === undefined ? {} : { range }),
      ...(redirectedFrom === undefined ? {} : { redirected_from: redirectedFrom }),
      allow,
    },
  });
}

/** The URL for messages and logs, without user:password. */
export function withoutCredentials(url: URL): string {
  if (!url.username && !url.password) return url.href;
  const copy = new URL(url.href);
  copy.username = "";
  copy.password = "";
  return copy.href;
}

function describeAddress(host: string, address: string | undefined, range: string | undefined): string {
  const words = RANGE_WORDS[range ?? ""] ?? `a non-public address (range ${range ?? "unknown"})`;
  const bare = host.replace(/^\[|\]$/g, "");
  if (address === undefined || address === bare) return `${host} is ${words}`;
  return `${host} resolves to ${address}, ${words}`;
}
