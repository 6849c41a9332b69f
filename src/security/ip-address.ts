/**
 * An IP address as bytes: the one place that expands IPv6's "::" shorthand, for the trusted-network
 * check (plaintext-auth.ts) and the per-/64 client key (connection-limits.ts).
 *
 * Not node:net's BlockList: it answers CIDR membership but cannot give the /64 key, so the expansion
 * is needed anyway, and under Deno 2 it says "fe80::1%eth0" is outside fe80::/10 where Bun and Node
 * say inside.
 */
import { isIPv4, isIPv6 } from "node:net";

/**
 * 4 bytes for IPv4, 16 for IPv6, undefined for anything else. A zone ("fe80::1%eth0") is dropped;
 * an IPv4-mapped address (::ffff:0:0/96, RFC 4291 §2.5.5.2), as a dual-stack socket reports an IPv4
 * client, is that IPv4 address in either notation ("::ffff:192.0.2.7", "::ffff:c000:207").
 */
export function ipBytes(text: string): number[] | undefined {
  const address = text.split("%")[0]!;
  if (isIPv4(address)) return address.split(".").map(Number);
  if (!isIPv6(address)) return undefined;
  const bytes = ipv6Bytes(address);
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : bytes;
}

/** The 16 bytes of a valid IPv6 address (RFC 4291 §2.2: "::" stands for one or more zero groups). */
function ipv6Bytes(address: string): number[] {
  const [head = "", tail] = address.split("::");
  const groups = (part: string) => (part ? part.split(":") : []);
  const left = groups(head);
  const right = groups(tail ?? "");
  // A trailing dotted quad ("::ffff:192.0.2.7", "64:ff9b::192.0.2.7") fills the last two groups.
  const last = (tail === undefined ? left : right).at(-1) ?? "";
  const tailBytes = isIPv4(last) ? last.split(".").map(Number) : undefined;
  if (tailBytes) (tail === undefined ? left : right).pop();
  const groupCount = 8 - (tailBytes ? 2 : 0);
  const all =
    tail === undefined
      ? left
      : [...left, ...Array(groupCount - left.length - right.length).fill("0"), ...right];
  const bytes = all.flatMap((g) => {
    const n = Number.parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
  return tailBytes ? [...bytes, ...tailBytes] : bytes;
}
