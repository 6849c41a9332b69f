/**
 * JSON Web Signatures for ACME requests (RFC 8555 §6.2): the flattened JSON serialization (RFC 7515
 * §7.2.2) signed with the account key, ES256 (ECDSA P-256 with SHA-256, the signature as R||S,
 * RFC 7518 §3.4) or RS256 (RSASSA-PKCS1-v1_5 with SHA-256, §3.3); the account key as a JWK
 * (RFC 7517) and its thumbprint (RFC 7638), which key authorizations are made of (RFC 8555 §8.1).
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
} from "node:crypto";

export type JwsAlgorithm = "ES256" | "RS256";

export interface AccountKey {
  privateKey: KeyObject;
  algorithm: JwsAlgorithm;
  /** The public key as a JWK with only its required members (what the thumbprint is taken over). */
  jwk: Record<string, string>;
}

const b64url = (bytes: Buffer | string): string => Buffer.from(bytes).toString("base64url");

/** A new account key: ECDSA P-256 (ES256), or RSA 2048 (RS256) where a CA wants RSA. */
export function accountKeyGenerate(algorithm: JwsAlgorithm = "ES256"): AccountKey {
  const { privateKey } =
    algorithm === "ES256"
      ? generateKeyPairSync("ec", { namedCurve: "prime256v1" })
      : generateKeyPairSync("rsa", { modulusLength: 2048 });
  return accountKeyOf(privateKey);
}

/** The account key of a stored PKCS #8 PEM; the algorithm follows from the key type. */
export function accountKeyFromPem(pem: string): AccountKey {
  return accountKeyOf(createPrivateKey(pem));
}

export function accountKeyPem(key: AccountKey): string {
  return String(key.privateKey.export({ type: "pkcs8", format: "pem" }));
}

function accountKeyOf(privateKey: KeyObject): AccountKey {
  const full = createPublicKey(privateKey).export({ format: "jwk" }) as Record<string, string>;
  if (privateKey.asymmetricKeyType === "ec") {
    if (full.crv !== "P-256") throw new Error(`an ACME account key must be P-256, not ${full.crv}`);
    return { privateKey, algorithm: "ES256", jwk: { crv: full.crv, kty: "EC", x: full.x!, y: full.y! } };
  }
  if (privateKey.asymmetricKeyType === "rsa")
    return { privateKey, algorithm: "RS256", jwk: { e: full.e!, kty: "RSA", n: full.n! } };
  throw new Error(`unsupported ACME account key type ${privateKey.asymmetricKeyType}`);
}

/**
 * RFC 7638 §3: SHA-256 over the JSON of the required members in lexicographic order, without
 * white space (accountKeyOf() builds `jwk` with exactly those members, in that order).
 */
export function jwkThumbprint(key: AccountKey): string {
  return b64url(createHash("sha256").update(JSON.stringify(key.jwk)).digest());
}

/** RFC 8555 §8.1: keyAuthorization = token || '.' || base64url(Thumbprint(accountKey)). */
export function keyAuthorization(token: string, key: AccountKey): string {
  return `${token}.${jwkThumbprint(key)}`;
}

export interface JwsHeader {
  nonce: string;
  url: string;
  /** The account URL; without it the JWK goes in the header (newAccount, RFC 8555 §6.2). */
  kid?: string;
}

/**
 * The flattened JWS of `payload` (an object, or "" for POST-as-GET, RFC 8555 §6.3) as the request
 * body. RFC 8555 §6.2: alg, nonce, url, and either jwk or kid in the protected header.
 */
export function jwsSign(key: AccountKey, header: JwsHeader, payload: unknown): string {
  const protectedHeader = {
    alg: key.algorithm,
    ...(header.kid ? { kid: header.kid } : { jwk: key.jwk }),
    nonce: header.nonce,
    url: header.url,
  };
  const encodedHeader = b64url(JSON.stringify(protectedHeader));
  const encodedPayload = payload === "" ? "" : b64url(JSON.stringify(payload));
  const input = Buffer.from(`${encodedHeader}.${encodedPayload}`, "ascii");
  const signature =
    key.algorithm === "ES256"
      ? sign("sha256", input, { key: key.privateKey, dsaEncoding: "ieee-p1363" })
      : sign("sha256", input, key.privateKey);
  return JSON.stringify({ protected: encodedHeader, payload: encodedPayload, signature: b64url(signature) });
}
