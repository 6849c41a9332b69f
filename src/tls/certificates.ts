/**
 * Where the server's certificate comes from: the PEM pair named by MAILROOM_TLS_CERT/MAILROOM_TLS_KEY,
 * or, without them, a self-signed pair for the host name in <data-dir>/tls/ that is generated on first
 * start and reused after (regenerated only when it expires or names another host), so STARTTLS works
 * out of the box. Every failure is a TlsSetupError whose message is one line naming the setting.
 */
import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createSecureContext, type SecureContext } from "node:tls";
import { settingSource } from "../config.ts";
import type { Logger } from "../log.ts";
import { selfSignedCertificate } from "./x509.ts";

/** TLS 1.2 is the floor (RFC 8996 retired 1.0 and 1.1; RFC 8314 §4.1); 1.3 is preferred. */
export const MIN_TLS_VERSION = "TLSv1.2";

/**
 * The suites every listener offers, whatever the runtime's defaults are (Bun's included CBC suites
 * with SHA-1 for TLS 1.2). TLS 1.3: its three AEAD suites. TLS 1.2: ECDHE only (forward secrecy: a
 * stolen key does not decrypt recorded sessions) with AES-GCM or ChaCha20-Poly1305 only (no CBC:
 * Lucky13 and padding oracles, no SHA-1 MACs; RFC 9325 §4.2, Mozilla's "intermediate" list without
 * DHE). ECDSA and RSA variants, so a configured RSA certificate works as well as the generated ECDSA one.
 */
export const TLS_CIPHERS = [
  "TLS_AES_128_GCM_SHA256",
  "TLS_AES_256_GCM_SHA384",
  "TLS_CHACHA20_POLY1305_SHA256",
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
].join(":");

/** The protocol settings of every server-side context: the version floor and the suites, in our order. */
export const SERVER_TLS_SETTINGS = {
  minVersion: MIN_TLS_VERSION,
  ciphers: TLS_CIPHERS,
  honorCipherOrder: true,
} as const;

/** Validity of a generated certificate: 825 days, the longest that Apple's clients accept. */
const SELF_SIGNED_DAYS = 825;
/** A generated certificate this close to expiry is replaced on start. */
const RENEW_BEFORE_MS = 30 * 86_400_000;

export class TlsSetupError extends Error {
  override name = "TlsSetupError";
}

export interface CertificateSource {
  certPath: string;
  keyPath: string;
  /** True for the generated self-signed pair (clients will warn unless they trust it explicitly). */
  selfSigned: boolean;
}

export interface LoadedCertificate {
  cert: string;
  key: string;
  context: SecureContext;
  /** Parsed leaf certificate, for logs (subject, expiry). */
  x509: X509Certificate;
}

export interface CertificateSettings {
  dataDir: string;
  hostname: string;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
}

/** The configured pair, or the self-signed one in <data-dir>/tls/ (created or renewed as needed). */
export function certificateSource(config: CertificateSettings, log: Logger): CertificateSource {
  if (config.tlsCert !== undefined && config.tlsKey !== undefined)
    return { certPath: config.tlsCert, keyPath: config.tlsKey, selfSigned: false };
  const dir = join(config.dataDir, "tls");
  const source = { certPath: join(dir, "cert.pem"), keyPath: join(dir, "key.pem"), selfSigned: true };
  const reason = renewalReason(source, config.hostname);
  if (reason) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const pair = selfSignedCertificate(config.hostname, { days: SELF_SIGNED_DAYS });
    // The key first and each file by rename, so a crash never leaves a certificate without its key.
    writeAtomically(source.keyPath, pair.keyPem, 0o600);
    writeAtomically(source.certPath, pair.certPem, 0o644);
    log.warn("tls.self_signed_created", { path: source.certPath, hostname: config.hostname, reason });
    process.stderr.write(
      `warning: generated a self-signed TLS certificate for ${config.hostname} in ${dir}; ` +
        `set ${settingSource("tlsCert")} and ${settingSource("tlsKey")} to use a real one\n`,
    );
  } else {
    log.warn("tls.self_signed", { path: source.certPath, hostname: config.hostname });
  }
  return source;
}

/** Why the generated pair must be (re)made, or undefined when it can be reused. */
function renewalReason(source: CertificateSource, hostname: string): string | undefined {
  if (!existsSync(source.certPath) || !existsSync(source.keyPath)) return "missing";
  try {
    const x509 = new X509Certificate(readFileSync(source.certPath));
    if (Date.parse(x509.validTo) - Date.now() < RENEW_BEFORE_MS) return "expiring";
    if (x509.checkHost(hostname) === undefined) return "host name changed";
    return undefined;
  } catch {
    return "unreadable";
  }
}

function writeAtomically(path: string, text: string, mode: number): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text, { mode });
  chmodSync(temporary, mode); // the umask may have taken bits away; make sure none were added
  renameSync(temporary, path);
}

/** Reads and checks a PEM pair: both files readable, a certificate, a key that matches it. */
export function loadCertificate(source: CertificateSource): LoadedCertificate {
  const cert = readPem(source.certPath, "tlsCert", source.selfSigned);
  const key = readPem(source.keyPath, "tlsKey", source.selfSigned);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert); // the first certificate of a chain: the server's own
  } catch {
    throw new TlsSetupError(`${describe(source, "tlsCert")} holds no valid certificate`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new TlsSetupError(`${describe(source, "tlsKey")} holds no valid private key`);
  }
  // Checked here, not left to createSecureContext(): not every runtime's TLS checks it before a handshake.
  if (!x509.checkPrivateKey(privateKey))
    throw new TlsSetupError(`${describe(source, "tlsKey")} is not the key of ${source.certPath}`);
  let context: SecureContext;
  try {
    context = createSecureContext({ cert, key, ...SERVER_TLS_SETTINGS });
  } catch (error) {
    throw new TlsSetupError(`cannot use ${source.certPath} with ${source.keyPath}: ${firstLine(error)}`);
  }
  return { cert, key, context, x509 };
}

/** The same checks for a pair held in memory (an ACME certificate); `origin` names it in errors. */
export function pairCertificate(pair: { cert: string; key: string }, origin: string): LoadedCertificate {
  let x509: X509Certificate;
  let privateKey: KeyObject;
  try {
    x509 = new X509Certificate(pair.cert);
    privateKey = createPrivateKey(pair.key);
  } catch (error) {
    throw new TlsSetupError(`the ${origin} certificate does not load: ${firstLine(error)}`);
  }
  if (!x509.checkPrivateKey(privateKey))
    throw new TlsSetupError(`the ${origin} certificate and key do not match`);
  try {
    const context = createSecureContext({ cert: pair.cert, key: pair.key, ...SERVER_TLS_SETTINGS });
    return { cert: pair.cert, key: pair.key, context, x509 };
  } catch (error) {
    throw new TlsSetupError(`cannot use the ${origin} certificate: ${firstLine(error)}`);
  }
}

function readPem(path: string, setting: "tlsCert" | "tlsKey", selfSigned: boolean): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why =
      code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : firstLine(error);
    throw new TlsSetupError(`cannot read ${describeFile(path, setting, selfSigned)}: ${why}`);
  }
  if (!text.includes("-----BEGIN "))
    throw new TlsSetupError(`${describeFile(path, setting, selfSigned)} is not a PEM file`);
  return text;
}

function describe(source: CertificateSource, setting: "tlsCert" | "tlsKey"): string {
  return describeFile(setting === "tlsCert" ? source.certPath : source.keyPath, setting, source.selfSigned);
}

function describeFile(path: string, setting: "tlsCert" | "tlsKey", selfSigned: boolean): string {
  return selfSigned ? path : `${path} (${settingSource(setting)})`;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
}
