/**
 * The certificate signing request an ACME order is finalized with (RFC 8555 §7.4): PKCS #10
 * (RFC 2986) for a new ECDSA P-256 key, the names in a subjectAltName extension request (RFC 2985
 * §5.4.2, extensionRequest) and the first one as the commonName, signed with ecdsa-with-SHA256.
 * Returned as DER (the ACME "csr" field is its base64url) with the key as PKCS #8 PEM.
 */
import { generateKeyPairSync, sign } from "node:crypto";
import {
  bitString,
  commonName,
  ECDSA_WITH_SHA256,
  extension,
  integer,
  oid,
  sequence,
  set,
  subjectAltName,
  tlv,
} from "./der.ts";

export interface CertificateRequest {
  der: Buffer;
  keyPem: string;
}

/** A new key and a CSR naming `names` (DNS names, the first also the subject's CN). */
export function certificateRequest(names: readonly string[]): CertificateRequest {
  if (names.length === 0) throw new Error("a certificate request needs at least one name");
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const extensions = sequence(extension("2.5.29.17", false, subjectAltName(names.map((dns) => ({ dns })))));
  const info = sequence(
    integer(Buffer.from([0])), // version v1(0)
    // RFC 5280 ub-common-name: a CN holds at most 64 characters; a longer first name goes in the SAN only.
    names[0]!.length <= 64 ? commonName(names[0]!) : sequence(),
    publicKey.export({ type: "spki", format: "der" }),
    // attributes [0] IMPLICIT SET OF Attribute: one extensionRequest (1.2.840.113549.1.9.14).
    tlv(0xa0, sequence(oid("1.2.840.113549.1.9.14"), set(extensions))),
  );
  const signature = sign("sha256", info, privateKey);
  return {
    der: sequence(info, ECDSA_WITH_SHA256, bitString(signature)),
    keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
}
