/**
 * The server's current TLS credentials, shared by every protocol. `reload()` (SIGHUP) rereads the
 * files: handshakes from then on use the new pair, connections already secured keep theirs, and a
 * broken pair is refused while the old one stays in use. Every context and every server built from
 * `serverOptions()` gets SERVER_TLS_SETTINGS: TLS 1.2 at least, forward-secret AEAD suites only.
 */
import type { X509Certificate } from "node:crypto";
import type { SecureContext, TlsOptions } from "node:tls";
import type { Logger } from "../log.ts";
import {
  type CertificateSettings,
  type CertificateSource,
  certificateSource,
  type LoadedCertificate,
  loadCertificate,
  SERVER_TLS_SETTINGS,
} from "./certificates.ts";

export class TlsProvider {
  readonly source: CertificateSource;
  readonly #log: Logger;
  #current: LoadedCertificate;
  readonly #listeners = new Set<(pair: { cert: string; key: string }) => void>();

  private constructor(source: CertificateSource, log: Logger) {
    this.source = source;
    this.#log = log;
    this.#current = loadCertificate(source);
  }

  /** Finds or generates the certificate and loads it; throws TlsSetupError (one line) when unusable. */
  static create(config: CertificateSettings, log: Logger): TlsProvider {
    const provider = new TlsProvider(certificateSource(config, log), log);
    provider.#logLoaded("tls.loaded");
    return provider;
  }

  /** The context for a handshake starting now (STARTTLS, an implicit-TLS accept). */
  secureContext(): SecureContext {
    return this.#current.context;
  }

  /** The leaf certificate in use. */
  get certificate(): X509Certificate {
    return this.#current.x509;
  }

  /** The PEM pair in use, for servers that build their own contexts (smtp-server's key/cert options). */
  credentials(): { cert: string; key: string } {
    return { cert: this.#current.cert, key: this.#current.key };
  }

  /**
   * Options for tls.createServer (or smtp-server): the current pair, the minimum version and cipher
   * suites, and an SNICallback that answers with the context current at each handshake, so reloads
   * apply to servers built before them. (smtp-server builds its context for clients without SNI from
   * these options too, so the suites hold there as well.)
   */
  serverOptions(): TlsOptions {
    return {
      ...this.credentials(),
      ...SERVER_TLS_SETTINGS,
      SNICallback: (_servername, callback) => callback(null, this.secureContext()),
    };
  }

  /** Called after each successful reload (e.g. to call smtp-server's updateSecureContext()). */
  onReload(listener: (pair: { cert: string; key: string }) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Rereads the files; on failure throws TlsSetupError and keeps serving the previous pair. */
  reload(): void {
    this.#current = loadCertificate(this.source);
    this.#logLoaded("tls.reloaded");
    for (const listener of this.#listeners) {
      try {
        listener(this.credentials());
      } catch (error) {
        this.#log.error("tls.reload_listener_failed", { error });
      }
    }
  }

  #logLoaded(event: string): void {
    const x509 = this.#current.x509;
    this.#log.info(event, {
      path: this.source.certPath,
      subject: x509.subject,
      altNames: x509.subjectAltName,
      validTo: x509.validTo,
      selfSigned: this.source.selfSigned,
    });
  }
}
