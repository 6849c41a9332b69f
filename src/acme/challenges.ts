/**
 * The answers to the challenges of orders in progress, as the public listeners give them:
 * HTTP-01 (RFC 8555 §8.3) at http://<name>/.well-known/acme-challenge/<token>, and TLS-ALPN-01
 * (RFC 8737 §3) as a self-signed certificate for <name> with the acmeIdentifier extension, for a
 * handshake that offers exactly the "acme-tls/1" protocol. Held in memory only while an order runs.
 */
import { createSecureContext, type SecureContext } from "node:tls";
import type { AlpnAnswer } from "../net/http.ts";
import { SERVER_TLS_SETTINGS } from "../tls/certificates.ts";
import type { ClientHello } from "../tls/client-hello.ts";
import { acmeChallengeCertificate } from "../tls/x509.ts";

/** RFC 8737 §6.2: the ALPN protocol of TLS-ALPN-01. */
export const ACME_TLS_ALPN = "acme-tls/1";

/** Challenges held at once at most (one per name of one order; bounds memory whatever the CA sends). */
const MAX_CHALLENGES = 1000;

export class AcmeChallenges {
  readonly #http = new Map<string, string>();
  readonly #tls = new Map<string, SecureContext>();

  /** HTTP-01: the body to serve for `token` (RFC 8555 §8.3: the key authorization). */
  http01(token: string): string | undefined {
    return this.#http.get(token);
  }

  addHttp01(token: string, keyAuthorization: string): void {
    if (this.#http.size >= MAX_CHALLENGES) throw new Error("too many ACME challenges in progress");
    this.#http.set(token, keyAuthorization);
  }

  removeHttp01(token: string): void {
    this.#http.delete(token);
  }

  addTlsAlpn01(domain: string, keyAuthorization: string): void {
    if (this.#tls.size >= MAX_CHALLENGES) throw new Error("too many ACME challenges in progress");
    const pair = acmeChallengeCertificate(domain, keyAuthorization);
    // RFC 8737 §4: TLS 1.2 or later; our server settings already say so.
    this.#tls.set(
      domain.toLowerCase(),
      createSecureContext({ cert: pair.certPem, key: pair.keyPem, ...SERVER_TLS_SETTINGS }),
    );
  }

  removeTlsAlpn01(domain: string): void {
    this.#tls.delete(domain.toLowerCase());
  }

  /**
   * For the public HTTPS listener: a handshake offering acme-tls/1 (RFC 8737 §3: the validation
   * offers it alone, with the name in SNI) gets the challenge certificate of its name, or is refused
   * when no challenge for that name is in progress (§3: never the server's usual certificate).
   */
  alpn(hello: ClientHello): AlpnAnswer | undefined {
    if (!hello.alpn.includes(ACME_TLS_ALPN)) return undefined;
    const context = hello.servername ? this.#tls.get(hello.servername) : undefined;
    return context ? { context, protocol: ACME_TLS_ALPN } : "refuse";
  }
}
