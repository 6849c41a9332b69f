/**
 * Thunderbird's autoconfig document (clientConfig version 1.1, the format of
 * https://wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat): served at
 * /.well-known/autoconfig/mail/config-v1.1.xml on the mail domain and at /mail/config-v1.1.xml on
 * autoconfig.<domain>. Logins are whole addresses, so the user name is %EMAILADDRESS%.
 */
import { type ClientSettings, type ServerEntry, serverEntries, xmlEscape } from "./settings.ts";

const SOCKET_TYPE: Record<ServerEntry["security"], string> = { tls: "SSL", starttls: "STARTTLS" };

export function thunderbirdConfig(domain: string, settings: ClientSettings): string {
  const host = xmlEscape(settings.hostname);
  const server = (tag: "incomingServer" | "outgoingServer", entry: ServerEntry) =>
    [
      `    <${tag} type="${entry.protocol}">`,
      `      <hostname>${host}</hostname>`,
      `      <port>${entry.port}</port>`,
      `      <socketType>${SOCKET_TYPE[entry.security]}</socketType>`,
      // Over TLS, a password in the clear inside it (PLAIN/LOGIN) is what every listener offers.
      "      <authentication>password-cleartext</authentication>",
      "      <username>%EMAILADDRESS%</username>",
      `    </${tag}>`,
    ].join("\n");
  const entries = serverEntries(settings);
  const d = xmlEscape(domain);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<clientConfig version="1.1">',
    `  <emailProvider id="${d}">`,
    `    <domain>${d}</domain>`,
    `    <displayName>${d} mail</displayName>`,
    `    <displayShortName>${d}</displayShortName>`,
    ...entries.filter((e) => e.protocol !== "smtp").map((e) => server("incomingServer", e)),
    ...entries.filter((e) => e.protocol === "smtp").map((e) => server("outgoingServer", e)),
    "  </emailProvider>",
    "</clientConfig>",
    "",
  ].join("\n");
}
