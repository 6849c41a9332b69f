/**
 * Domain names as the resolver sends and compares them: checked against RFC 1035 §2.3.4's size
 * limits, IDNs turned into A-labels (RFC 5890), lower case for comparison (RFC 4343), and the
 * reverse-lookup names of RFC 1035 §3.5 (in-addr.arpa) and RFC 3596 §2.5 (ip6.arpa).
 */
import { isIPv4, isIPv6 } from "node:net";
import { domainToASCII } from "node:url";

/** RFC 1035 §2.3.4: 63 octets a label, 255 a name on the wire (253 as text without the root dot). */
const MAX_LABEL = 63;
const MAX_NAME = 253;

/** A name ready for a query (lower case, no trailing dot), or an error text when it cannot be asked. */
export function normalizeName(name: string): { name: string } | { error: string } {
  let text = name.trim();
  if (text.endsWith(".")) text = text.slice(0, -1);
  if (text === "") return { error: "empty name" };
  if (/[\x00-\x20\x7f]/.test(text)) return { error: "name contains spaces or control characters" };
  if (/[^\x00-\x7f]/.test(text)) {
    // RFC 5891 §5: a U-label is looked up as its A-label.
    const ascii = domainToASCII(text);
    if (ascii === "") return { error: "not a valid internationalized name" };
    text = ascii;
  }
  text = text.toLowerCase();
  if (text.length > MAX_NAME) return { error: `name longer than ${MAX_NAME} octets` };
  for (const label of text.split(".")) {
    if (label === "") return { error: "empty label" };
    if (label.length > MAX_LABEL) return { error: `label longer than ${MAX_LABEL} octets` };
  }
  return { name: text };
}

/** Compares two names as DNS does: case-insensitive, trailing dot or not (RFC 4343). */
export function sameName(a: string, b: string): boolean {
  return a.replace(/\.$/, "").toLowerCase() === b.replace(/\.$/, "").toLowerCase();
}

/** The PTR name for an address: 1.2.0.192.in-addr.arpa, or 32 nibbles under ip6.arpa. */
export function reverseName(address: string): string | undefined {
  if (isIPv4(address)) return `${address.split(".").reverse().join(".")}.in-addr.arpa`;
  if (!isIPv6(address)) return undefined;
  const words = ipv6Words(address);
  const nibbles = words.flatMap((w) => w.toString(16).padStart(4, "0").split(""));
  return `${nibbles.reverse().join(".")}.ip6.arpa`;
}

/** The eight 16-bit words of an IPv6 address (with "::" and a dotted IPv4 tail expanded). */
function ipv6Words(address: string): number[] {
  let text = address.replace(/%.*$/, "").toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split(".").map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((w) => Number.parseInt(w, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const zeros = new Array<number>(8 - left.length - right.length).fill(0);
  return [...left, ...zeros, ...right];
}
