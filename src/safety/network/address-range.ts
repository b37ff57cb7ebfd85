import ipaddr from "ipaddr.js";

/** The range ipaddr.js gives every address that is not special: the only one an untrusted destination may use. */
export const PUBLIC_RANGE = "unicast";

/** ::/96 (IPv4-compatible IPv6, deprecated): ipaddr.js calls most of it unicast, but it only embeds an IPv4 address. */
const IPV4_COMPATIBLE = ipaddr.parseCIDR("::/96");

/**
 * The range an IP address belongs to, as ipaddr.js names it (`loopback`, `private`, `linkLocal`, `6to4`...), with
 * IPv4-mapped IPv6 (`::ffff:127.0.0.1`) classified as the IPv4 address it maps. `unicast` means public; anything
 * that does not parse as an address is `invalid`.
 */
export function addressRange(address: string): string {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address);
  } catch {
    return "invalid";
  }
  if (parsed instanceof ipaddr.IPv6 && parsed.match(IPV4_COMPATIBLE)) {
    const range = parsed.range();
    return range === PUBLIC_RANGE ? "ipv4Compatible" : range;
  }
  return parsed.range();
}
