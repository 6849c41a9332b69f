/**
 * The start-up chores of `mailroom serve` that are not listeners: the admin token, certificates and CA
 * files, the postmaster check, and the signals (SIGHUP reloads the certificate, SIGTERM/SIGINT stop).
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Config, settingSource } from "./config.ts";
import { StartupError } from "./listeners.ts";
import type { Logger } from "./log.ts";
import { recipientResolve, type Store } from "./store/mod.ts";
import { TlsProvider, TlsSetupError } from "./tls/mod.ts";

/**
 * MAILROOM_POSTMASTER names an address that should exist; until it does, postmaster mail takes the
 * default route (each domain's first account), so a typo is worth a warning, not a refusal to start.
 */
export async function checkPostmaster(store: Store, config: Config, log: Logger): Promise<void> {
  if (config.postmaster === undefined) return;
  const target = await recipientResolve(store.read, config.postmaster);
  if (target.kind !== "local")
    log.warn("postmaster.unknown", {
      postmaster: config.postmaster,
      detail: "not a local account or alias; postmaster mail goes to each domain's first account",
    });
}

/** The admin token lives in <data-dir>/admin-token (mode 0600), generated on first start. */
export function loadOrCreateAdminToken(config: Config, log: Logger): string {
  const path = join(config.dataDir, "admin-token");
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  const token = randomBytes(24).toString("base64url");
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  log.info("admin_token.created", { path });
  process.stderr.write(`admin token written to ${path}\n`);
  return token;
}

/** MAILROOM_TLS_CA_FILE: the PEM certificates in it, or a clear start-up error. */
export function loadExtraCa(config: Config): string[] | undefined {
  return config.tlsCaFile ? loadPemFile(config.tlsCaFile, "tlsCaFile") : undefined;
}

/** The PEM certificates of a CA file setting, or a clear start-up error naming the setting. */
export function loadPemFile(path: string, setting: "tlsCaFile" | "acmeCaFile"): string[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new StartupError(`cannot read ${settingSource(setting)} ${path}: ${(error as Error).message}`);
  }
  const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (pems.length === 0) throw new StartupError(`${settingSource(setting)} ${path} holds no PEM certificate`);
  return pems.map((p) => `${p}\n`);
}

/** The certificate from MAILROOM_TLS_CERT/KEY, or the self-signed one; a bad pair stops the start. */
export function loadTls(config: Config, log: Logger): TlsProvider {
  try {
    return TlsProvider.create(config, log.child({ proto: "tls" }));
  } catch (error) {
    if (error instanceof TlsSetupError) throw new StartupError(error.message);
    throw error;
  }
}

/**
 * SIGHUP rereads the certificate files (after a renewal): new handshakes use them, open connections
 * keep theirs. A broken pair is reported and the previous one stays in use. Returns the unsubscribe.
 */
export function reloadOnHangup(tls: TlsProvider, log: Logger): () => void {
  const onHangup = () => {
    log.info("signal", { signal: "SIGHUP" });
    try {
      tls.reload();
      process.stderr.write(
        tls.origin === "files"
          ? `reloaded the TLS certificate from ${tls.source.certPath}\n`
          : `checked ${tls.source.certPath}; the ${tls.origin} certificate stays in use\n`,
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log.error("tls.reload_failed", { error: message });
      process.stderr.write(`mailroom: TLS reload failed, keeping the previous certificate: ${message}\n`);
    }
  };
  process.on("SIGHUP", onHangup);
  return () => process.off("SIGHUP", onHangup);
}

export function waitForSignal(log: Logger): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = (signal: string) => {
      log.info("signal", { signal });
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      resolve();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

/**
 * The start-up table: every listener and its address, then where the admin token is, printed once
 * after everything is bound. `tokenPath` undefined: the token came from MAILROOM_ADMIN_TOKEN.
 */
export function listenersTable(rows: ReadonlyArray<[string, string]>, tokenPath: string | undefined): string {
  const width = Math.max(...rows.map(([name]) => name.length), "listener".length) + 2;
  const lines = [
    `  ${"listener".padEnd(width)}address`,
    ...rows.map(([name, address]) => `  ${name.padEnd(width)}${address}`),
  ];
  lines.push(`admin token: ${tokenPath ?? "from MAILROOM_ADMIN_TOKEN / --admin-token"}`);
  return `${lines.join("\n")}\n`;
}
