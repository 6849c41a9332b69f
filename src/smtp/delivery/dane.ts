/**
 * DANE for SMTP (RFC 7672): which TLSA records are usable (§3.1.3: DANE-TA(2) and DANE-EE(3) only;
 * PKIX-TA(0)/PKIX-EE(1) are not for SMTP), and whether a peer's certificate chain matches them.
 * - DANE-EE(3): the leaf certificate (selector 0) or its public key (selector 1) matches; no name
 *   and no expiry check (§3.1.1).
 * - DANE-TA(2): a certificate in the chain the server sent matches, the chain from the leaf up to it
 *   verifies, and the leaf is valid now and names the MX host (§3.1.2, §3.2).
 * Matching type 0 compares the whole data, 1 its SHA-256, 2 its SHA-512 (RFC 6698 §2.1.3).
 */
import { createHash, X509Certificate } from "node:crypto";
import { checkServerIdentity, type PeerCertificate, type TLSSocket } from "node:tls";
import type { TlsaRecord } from "../../dns/mod.ts";
import { TLS_POLICY_LIMITS } from "../queue/limits.ts";
import type { TlsCheck } from "./client.ts";

const DIGEST_LENGTH: Record<number, number> = { 1: 32, 2: 64 };

/** RFC 7672 §3.1.3, RFC 6698 §2.1: the records we can use; garbage (bad lengths, unknown values) is not. */
export function usableTlsa(records: readonly TlsaRecord[]): TlsaRecord[] {
  return records.slice(0, TLS_POLICY_LIMITS.maxTlsaRecords).filter((r) => {
    if (r.usage !== 2 && r.usage !== 3) return false;
    if (r.selector !== 0 && r.selector !== 1) return false;
    if (r.matchingType === 0) return r.data.byteLength > 0;
    return DIGEST_LENGTH[r.matchingType] === r.data.byteLength;
  });
}

/** Presentation form ("3 1 1 ab12...") for logs and TLS-RPT's policy-string (RFC 8460 §4.3.1). */
export function tlsaText(r: TlsaRecord): string {
  return `${r.usage} ${r.selector} ${r.matchingType} ${Buffer.from(r.data).toString("hex")}`;
}

function selected(cert: X509Certificate, selector: number): Buffer {
  return selector === 0 ? cert.raw : (cert.publicKey.export({ type: "spki", format: "der" }) as Buffer);
}

function matches(cert: X509Certificate, r: TlsaRecord): boolean {
  const data = selected(cert, r.selector);
  const digest =
    r.matchingType === 0
      ? data
      : createHash(r.matchingType === 1 ? "sha256" : "sha512")
          .update(data)
          .digest();
  return Buffer.compare(digest, Buffer.from(r.data)) === 0;
}

/** The chain as the peer sent it, leaf first (node links it through issuerCertificate). */
function peerChain(socket: TLSSocket): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<PeerCertificate>();
  let cert = socket.getPeerCertificate(true) as PeerCertificate & { issuerCertificate?: PeerCertificate };
  while (cert?.raw && !seen.has(cert) && chain.length < TLS_POLICY_LIMITS.maxChainLength) {
    seen.add(cert);
    chain.push(new X509Certificate(cert.raw));
    cert = cert.issuerCertificate as typeof cert;
  }
  return chain;
}

/**
 * Judges the peer of `socket` against usable TLSA records; `names` are the reference identifiers for
 * DANE-TA (RFC 7672 §3.2.2: the MX host name).
 */
export function daneCheck(
  socket: TLSSocket,
  records: readonly TlsaRecord[],
  names: readonly string[],
  now: Date = new Date(),
): TlsCheck {
  let chain: X509Certificate[];
  try {
    chain = peerChain(socket);
  } catch (error) {
    return { ok: false, result: "validation-failure", reason: `unreadable certificate chain: ${error}` };
  }
  const leaf = chain[0];
  if (!leaf) return { ok: false, result: "validation-failure", reason: "the server sent no certificate" };

  for (const r of records.filter((x) => x.usage === 3))
    if (matches(leaf, r)) return { ok: true, detail: `DANE-EE ${r.selector} ${r.matchingType} matched` };

  for (const r of records.filter((x) => x.usage === 2)) {
    const at = chain.findIndex((c, i) => i > 0 && matches(c, r));
    if (at === -1) continue;
    // Each certificate up to the trust anchor was issued and signed by the next one.
    const linked = chain
      .slice(0, at)
      .every((c, i) => c.checkIssued(chain[i + 1]!) && c.verify(chain[i + 1]!.publicKey));
    if (!linked)
      return {
        ok: false,
        result: "validation-failure",
        reason: "chain to the DANE-TA anchor does not verify",
      };
    if (now < leaf.validFromDate || now > leaf.validToDate)
      return {
        ok: false,
        result: "certificate-expired",
        reason: `certificate valid ${leaf.validFrom} - ${leaf.validTo}`,
      };
    const peer = socket.getPeerCertificate(false);
    const named = names.some((n) => checkServerIdentity(n, peer) === undefined);
    if (!named)
      return {
        ok: false,
        result: "certificate-host-mismatch",
        reason: `certificate does not name ${names.join(" or ")}`,
      };
    return { ok: true, detail: `DANE-TA ${r.selector} ${r.matchingType} matched` };
  }
  return { ok: false, result: "validation-failure", reason: "no TLSA record matches the certificate chain" };
}
