/**
 * An Apple configuration profile (a .mobileconfig: an XML property list, Apple's "Configuration
 * Profile Reference", payload type com.apple.mail.managed) that sets up one account in Apple Mail on
 * iOS and macOS. The profile and payload UUIDs are derived from the host and the address, so that
 * installing a fresh download replaces the earlier profile instead of adding a second one. The
 * password is not in it: the device asks for it.
 */
import { createHash } from "node:crypto";
import { bestServer, type ClientSettings, xmlEscape } from "./settings.ts";

/** A stable UUID (RFC 9562 §5.8 layout, version 8) from text. */
function stableUuid(text: string): string {
  const h = createHash("sha256").update(text).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString("hex").toUpperCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Reverse-DNS identifier of the host ("mx.example.com" -> "com.example.mx"). */
function reverseDns(hostname: string): string {
  return hostname
    .split(".")
    .reverse()
    .join(".")
    .replace(/[^A-Za-z0-9.-]/g, "-");
}

export function appleMailProfile(address: string, settings: ClientSettings): string {
  const incoming = bestServer(settings, "imap") ?? bestServer(settings, "pop3");
  const outgoing = bestServer(settings, "smtp");
  const host = settings.hostname;
  const id = `${reverseDns(host)}.mailroom.${address.replace(/[^A-Za-z0-9]/g, "-")}`;
  const s = (key: string, value: string) => [`<key>${key}</key>`, `<string>${xmlEscape(value)}</string>`];
  const n = (key: string, value: number) => [`<key>${key}</key>`, `<integer>${value}</integer>`];
  const b = (key: string, value: boolean) => [`<key>${key}</key>`, value ? "<true/>" : "<false/>"];
  // The same five keys describe the incoming and the outgoing server, each under its prefix.
  const server = (prefix: "Incoming" | "Outgoing", port: number) => [
    ...s(`${prefix}MailServerAuthentication`, "EmailAuthPassword"),
    ...s(`${prefix}MailServerHostName`, host),
    ...n(`${prefix}MailServerPortNumber`, port),
    // UseSSL on a STARTTLS port makes Mail upgrade the connection; it never sends a password in the clear.
    ...b(`${prefix}MailServerUseSSL`, true),
    ...s(`${prefix}MailServerUsername`, address),
  ];
  const payload = [
    ...s("EmailAccountDescription", address),
    ...s("EmailAccountType", incoming?.protocol === "pop3" ? "EmailTypePOP" : "EmailTypeIMAP"),
    ...s("EmailAddress", address),
    ...(incoming ? server("Incoming", incoming.port) : []),
    ...(outgoing
      ? [...server("Outgoing", outgoing.port), ...b("OutgoingPasswordSameAsIncomingPassword", true)]
      : []),
    ...s("PayloadDescription", `Mail account ${address}`),
    ...s("PayloadDisplayName", address),
    ...s("PayloadIdentifier", `${id}.email`),
    ...s("PayloadType", "com.apple.mail.managed"),
    ...s("PayloadUUID", stableUuid(`${host} ${address} email`)),
    ...n("PayloadVersion", 1),
  ];
  const profile = [
    "<key>PayloadContent</key>",
    "<array>",
    "<dict>",
    ...payload,
    "</dict>",
    "</array>",
    ...s("PayloadDescription", `Sets up the mail account ${address} on ${host}.`),
    ...s("PayloadDisplayName", `Mail: ${address}`),
    ...s("PayloadIdentifier", id),
    ...b("PayloadRemovalDisallowed", false),
    ...s("PayloadType", "Configuration"),
    ...s("PayloadUUID", stableUuid(`${host} ${address} profile`)),
    ...n("PayloadVersion", 1),
  ];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    "<dict>",
    ...profile.map((line) => `  ${line}`),
    "</dict>",
    "</plist>",
    "",
  ].join("\n");
}
