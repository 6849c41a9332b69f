/**
 * The server's current TLS credentials, shared by every protocol. `reload()` (SIGHUP) rereads the
 * files: handshakes from then on use the new pair, connections already secured keep theirs, and a
 * broken pair is refused while the old one stays in use. `install()` does the same with a pair held
 * in memory (an ACME certificate from the store); once one is installed it is the one in use, and a
 * reload of the files no longer replaces it. Every context and every server built from
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
  pairCertificate,
  SERVER_TLS_SETTINGS,
} from "./certificates.ts";

export class TlsProvider {
  readonly source: CertificateSource;
  readonly #log: Logger;
  #current: LoadedCertificate;
  /** The pair from the files (configured or self-signed), kept while an installed one is in use. */
  #files: LoadedCertificate;
  /** What the pair in use came from, for logs and the SIGHUP line. */
  #origin: "files" | string = "files";
  readonly #listeners = new Set<(pair: { cert: string; key: string }) => void>();

  private constructor(source: CertificateSource, log: Logger) {
    this.source = source;
    this.#log = log;
    this.#files = loadCertificate(source);
    this.#current = this.#files;
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

  /** Where the pair in use came from: "files" (the configured or self-signed pair) or install()'s label. */
  get origin(): string {
    return this.#origin;
  }

  /**
   * Rereads the files; on failure throws TlsSetupError and keeps serving the previous pair. While an
   * installed pair is in use the files are checked and kept for later, and the installed pair stays.
   */
  reload(): void {
    this.#files = loadCertificate(this.source);
    if (this.#origin !== "files") {
      this.#log.info("tls.reloaded_files_kept", { path: this.source.certPath, inUse: this.#origin });
      return;
    }
    this.#current = this.#files;
    this.#logLoaded("tls.reloaded");
    this.#notify();
  }

  /**
   * Makes a PEM pair held in memory (chain and key) the one in use, as reload() does for the files:
   * new handshakes get it, open connections keep theirs. Throws TlsSetupError for a pair that does
   * not load (the previous one stays). `origin` names it in logs ("acme").
   */
  install(pair: { cert: string; key: string }, origin: string): void {
    this.#current = pairCertificate(pair, origin);
    this.#origin = origin;
    this.#logLoaded("tls.installed");
    this.#notify();
  }

  #notify(): void {
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
      path: this.#origin === "files" ? this.source.certPath : undefined,
      origin: this.#origin,
      subject: x509.subject,
      altNames: x509.subjectAltName,
      validTo: x509.validTo,
      selfSigned: this.#origin === "files" && this.source.selfSigned,
    });
  }
}
