/**
 * A self-signed X.509 v3 server certificate (RFC 5280) built with node:crypto alone: an ECDSA P-256
 * key, DER written by the few encoders below, signed with ecdsa-with-SHA256. Only this one shape of
 * certificate is ever produced, so a general ASN.1 library (and its dependencies) is not needed.
 */
import { createHash, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { isIPv4 } from "node:net";

export interface SelfSigned {
  certPem: string;
  keyPem: string;
}

// --- DER (X.690 §8, §10) ---------------------------------------------------------------------------

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

const sequence = (...items: Buffer[]) => tlv(0x30, ...items);
const set = (...items: Buffer[]) => tlv(0x31, ...items);
const octetString = (bytes: Buffer) => tlv(0x04, bytes);
const bitString = (bytes: Buffer) => tlv(0x03, Buffer.from([0]), bytes);
const boolean = (value: boolean) => tlv(0x01, Buffer.from([value ? 0xff : 0]));
/** [n] EXPLICIT */
const explicit = (n: number, inner: Buffer) => tlv(0xa0 | n, inner);

/** A non-negative INTEGER from big-endian bytes (a leading 0 keeps it positive). */
function integer(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const trimmed = bytes.subarray(i);
  return tlv(0x02, trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

function oid(dotted: string): Buffer {
  const arcs = dotted.split(".").map(Number);
  const out = [40 * arcs[0]! + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const groups = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) groups.unshift(0x80 | (v & 0x7f));
    out.push(...groups);
  }
  return tlv(0x06, Buffer.from(out));
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, "").slice(0, 14); // YYYYMMDDHHMMSS
  return date.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`, "ascii"))
    : tlv(0x18, Buffer.from(`${iso}Z`, "ascii"));
}

function commonName(cn: string): Buffer {
  return sequence(set(sequence(oid("2.5.4.3"), tlv(0x0c, Buffer.from(cn, "utf8")))));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
}

/** RFC 5280 §4.2.1.6: dNSName [2] IA5String, iPAddress [7] OCTET STRING. */
function subjectAltName(names: Array<{ dns: string } | { ip: string }>): Buffer {
  return sequence(
    ...names.map((n) =>
      "dns" in n
        ? tlv(0x82, Buffer.from(n.dns, "ascii"))
        : tlv(0x87, Buffer.from(n.ip.split(".").map(Number))),
    ),
  );
}

const ECDSA_WITH_SHA256 = sequence(oid("1.2.840.10045.4.3.2"));

// --- the certificate -------------------------------------------------------------------------------

/**
 * A certificate for `hostname` (CN and subjectAltName DNS, or IP when it is an IPv4 literal) plus
 * IP:127.0.0.1, valid from an hour ago for `days`, with its PKCS #8 key. Usable only as a TLS server
 * certificate (keyUsage digitalSignature, extKeyUsage serverAuth, not a CA).
 */
export function selfSignedCertificate(hostname: string, options: { days: number }): SelfSigned {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const serial = randomBytes(16);
  serial[0]! &= 0x7f; // RFC 5280 §4.1.2.2: positive, at most 20 octets
  const notBefore = new Date(Date.now() - 3_600_000);
  const notAfter = new Date(notBefore.getTime() + options.days * 86_400_000);
  const names: Array<{ dns: string } | { ip: string }> = isIPv4(hostname)
    ? [{ ip: hostname }]
    : [{ dns: hostname }];
  if (hostname !== "127.0.0.1") names.push({ ip: "127.0.0.1" });
  // RFC 5280 §4.2.1.2 method (1): SHA-1 of the public key's bits (the uncompressed point 04||x||y).
  const jwk = publicKey.export({ format: "jwk" });
  const point = Buffer.concat([
    Buffer.from([4]),
    Buffer.from(jwk.x!, "base64url"),
    Buffer.from(jwk.y!, "base64url"),
  ]);
  const keyId = createHash("sha1").update(point).digest();

  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(serial),
    ECDSA_WITH_SHA256,
    commonName(hostname), // issuer: self
    sequence(time(notBefore), time(notAfter)),
    commonName(hostname), // subject
    publicKey.export({ type: "spki", format: "der" }),
    explicit(
      3,
      sequence(
        extension("2.5.29.17", false, subjectAltName(names)),
        extension("2.5.29.19", true, sequence()), // basicConstraints: cA FALSE
        extension("2.5.29.15", true, bitString(Buffer.from([0x80]))), // keyUsage: digitalSignature
        extension("2.5.29.37", false, sequence(oid("1.3.6.1.5.5.7.3.1"))), // extKeyUsage: serverAuth
        extension("2.5.29.14", false, octetString(keyId)), // subjectKeyIdentifier
        extension("2.5.29.35", false, sequence(tlv(0x80, keyId))), // authorityKeyIdentifier: self
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

function pem(label: string, der: Buffer): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
