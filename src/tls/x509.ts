/**
 * Self-signed X.509 v3 certificates (RFC 5280) built with node:crypto alone: an ECDSA P-256 key, DER
 * written by der.ts, signed with ecdsa-with-SHA256. Two shapes are ever produced: the server
 * certificate used until a real one is configured or issued, and the TLS-ALPN-01 challenge
 * certificate of RFC 8737 §3 (one dNSName and the critical acmeIdentifier extension). A general
 * ASN.1 library (and its dependencies) is not needed for that.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";
import { isIPv4 } from "node:net";
import {
  bitString,
  commonName,
  ECDSA_WITH_SHA256,
  explicit,
  extension,
  type GeneralName,
  integer,
  octetString,
  oid,
  pem,
  sequence,
  subjectAltName,
  time,
} from "./der.ts";

export interface SelfSigned {
  certPem: string;
  keyPem: string;
}

/** RFC 8737 §6.1: id-pe-acmeIdentifier. */
const ACME_IDENTIFIER_OID = "1.3.6.1.5.5.7.1.31";

/**
 * A certificate for `hostname` (CN and subjectAltName DNS, or IP when it is an IPv4 literal) plus
 * IP:127.0.0.1, valid from an hour ago for `days`, with its PKCS #8 key. Usable only as a TLS server
 * certificate (keyUsage digitalSignature, extKeyUsage serverAuth, not a CA).
 */
export function selfSignedCertificate(hostname: string, options: { days: number }): SelfSigned {
  const names: GeneralName[] = isIPv4(hostname) ? [{ ip: hostname }] : [{ dns: hostname }];
  if (hostname !== "127.0.0.1") names.push({ ip: "127.0.0.1" });
  return build({ cn: hostname, names, days: options.days });
}

/**
 * RFC 8737 §3: the certificate a TLS-ALPN-01 responder presents for `domain` — self-signed, its only
 * subjectAltName the domain, and the critical id-pe-acmeIdentifier extension whose value is the
 * SHA-256 digest of the key authorization (Authorization ::= OCTET STRING (SIZE (32))).
 */
export function acmeChallengeCertificate(domain: string, keyAuthorization: string): SelfSigned {
  const digest = createHash("sha256").update(keyAuthorization, "ascii").digest();
  return build({
    cn: domain,
    names: [{ dns: domain }],
    days: 7,
    extra: [extension(ACME_IDENTIFIER_OID, true, octetString(digest))],
  });
}

function build(options: { cn: string; names: GeneralName[]; days: number; extra?: Buffer[] }): SelfSigned {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const serial = randomBytes(16);
  serial[0]! &= 0x7f; // RFC 5280 §4.1.2.2: positive, at most 20 octets
  const notBefore = new Date(Date.now() - 3_600_000);
  const notAfter = new Date(notBefore.getTime() + options.days * 86_400_000);
  const keyId = subjectKeyId(publicKey);

  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(serial),
    ECDSA_WITH_SHA256,
    commonName(options.cn), // issuer: self
    sequence(time(notBefore), time(notAfter)),
    commonName(options.cn), // subject
    publicKey.export({ type: "spki", format: "der" }),
    explicit(
      3,
      sequence(
        extension("2.5.29.17", false, subjectAltName(options.names)),
        extension("2.5.29.19", true, sequence()), // basicConstraints: cA FALSE
        extension("2.5.29.15", true, bitString(Buffer.from([0x80]))), // keyUsage: digitalSignature
        extension("2.5.29.37", false, sequence(oid("1.3.6.1.5.5.7.3.1"))), // extKeyUsage: serverAuth
        extension("2.5.29.14", false, octetString(keyId)), // subjectKeyIdentifier
        extension("2.5.29.35", false, sequence(tlvKeyId(keyId))), // authorityKeyIdentifier: self
        ...(options.extra ?? []),
      ),
    ),
  );
  // ECDSA signatures from node:crypto are DER Ecdsa-Sig-Value, as RFC 5758 §3.2 wants.
  const signature = sign("sha256", tbs, privateKey);
  const der = sequence(tbs, ECDSA_WITH_SHA256, bitString(signature));
  return {
    certPem: pem("CERTIFICATE", der),
    keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the public key's bits (the uncompressed point 04||x||y). */
function subjectKeyId(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: "jwk" });
  const point = Buffer.concat([
    Buffer.from([4]),
    Buffer.from(jwk.x!, "base64url"),
    Buffer.from(jwk.y!, "base64url"),
  ]);
  return createHash("sha1").update(point).digest();
}

/** keyIdentifier [0] IMPLICIT KeyIdentifier. */
function tlvKeyId(keyId: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x80, keyId.length]), keyId]);
}
