/** TLS for every protocol: the certificate (configured or self-signed), its reloads, and socket upgrades. */
export { MIN_TLS_VERSION, TlsSetupError } from "./certificates.ts";
export { TlsProvider } from "./context.ts";
export {
  describeTls,
  HANDSHAKE_TIMEOUT_MS,
  secureSocket,
  TlsHandshakeError,
  type UpgradeOptions,
  upgradeToTls,
} from "./starttls.ts";
