/**
 * Where a client may send a password in the clear (RFC 8314 §5.4, RFC 2595 §2.1 / §3.2): over TLS,
 * from a trusted network (MAILROOM_TRUSTED_NETWORKS; 127.0.0.1 and ::1 by default: nobody can listen
 * in there), or anywhere when the operator said so. IMAP (LOGINDISABLED) and POP3 (no USER or SASL in CAPA) ask the same question.
 */
import { ipBytes } from "./ip-address.ts";

export interface PlaintextAuthPolicy {
  /** MAILROOM_ALLOW_PLAINTEXT_AUTH: passwords without TLS from anywhere. */
  allow: boolean;
  /** CIDR networks ("127.0.0.1/32", "::1/128") whose connections count as local. */
  trustedNetworks: readonly string[];
}

/**
 * The loopback addresses only, as the configuration's default: what a server that was given no
 * policy uses. Not all of 127.0.0.0/8, which a local forwarder could speak for remote clients from.
 */
export const LOOPBACK_ONLY: PlaintextAuthPolicy = {
  allow: false,
  trustedNetworks: ["127.0.0.1/32", "::1/128"],
};

export function plaintextAuthAllowed(
  policy: PlaintextAuthPolicy,
  connection: { secure: boolean; remoteAddress: string | undefined },
): boolean {
  if (connection.secure || policy.allow) return true;
  const address = connection.remoteAddress;
  return address !== undefined && policy.trustedNetworks.some((n) => inNetwork(address, n));
}

/** Whether `address` lies in `cidr`; IPv4-mapped IPv6 addresses ("::ffff:127.0.0.1") count as IPv4. */
export function inNetwork(address: string, cidr: string): boolean {
  const [base = "", bitsText] = cidr.split("/");
  const a = ipBytes(address);
  const b = ipBytes(base);
  if (!a || !b || a.length !== b.length) return false;
  const bits = bitsText === undefined ? a.length * 8 : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > a.length * 8) return false;
  for (let i = 0; i < a.length; i++) {
    const take = Math.min(8, Math.max(0, bits - i * 8));
    const mask = (0xff << (8 - take)) & 0xff;
    if ((a[i]! & mask) !== (b[i]! & mask)) return false;
  }
  return true;
}
