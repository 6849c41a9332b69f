/**
 * The DNS records a local domain needs so that mail from it is accepted and mail to it finds us:
 * MX, SPF (RFC 7208), one DKIM key record per published key (RFC 6376 §3.6.1, RFC 8463 §4.2),
 * DMARC (RFC 7489 §6.3), MTA-STS (RFC 8461 §3.1, with the policy file it points to), TLS-RPT
 * (RFC 8460 §3) and the client-configuration SRV records (RFC 6186, RFC 8314 §5.1). Pure: settings
 * and keys in, records out; as JSON items or as a BIND zone-file fragment.
 */
import { isIP } from "node:net";
import { domainToASCII } from "node:url";
import type { Config } from "../config.ts";
import type { DkimKeyInfo } from "../store/mod.ts";
import { mtaStsPolicy, mtaStsPolicyId } from "./mta-sts-policy.ts";

/** What the records are made from: the host name and the ports actually listening (null: off). */
export interface PublishSettings extends Pick<Config, "hostname" | "bind" | "tlsCert" | "acmeDirectory"> {
  ports: {
    submission: number | null;
    submissions: number | null;
    imap: number | null;
    imaps: number | null;
    pop3: number | null;
    pop3s: number | null;
    /** The public HTTPS listener (Autodiscover). */
    https: number | null;
  };
}

export interface DnsRecordItem {
  /** A DNS type, or "FILE" for the MTA-STS policy, which is served over HTTPS, not DNS. */
  type: "MX" | "TXT" | "SRV" | "CNAME" | "A" | "AAAA" | "FILE";
  /** Absolute, without the trailing dot (for FILE: the URL the file is served at). */
  name: string;
  /** Zone-file data without the trailing dots of names; TXT: the whole text, unsplit. */
  value: string;
  /** Seconds; null for FILE. */
  ttl: number | null;
  purpose: string;
}

const TTL = 3600;

/** The settings from the configuration, with the ports actually bound where known (port 0 = any). */
export function publishSettingsOf(
  config: Pick<
    Config,
    | "hostname"
    | "bind"
    | "tlsCert"
    | "acmeDirectory"
    | "submissionPort"
    | "smtpsPort"
    | "imapPort"
    | "imapsPort"
    | "pop3Port"
    | "pop3sPort"
    | "publicHttpsPort"
  >,
  bound: Partial<PublishSettings["ports"]> = {},
): PublishSettings {
  return {
    hostname: config.hostname,
    bind: config.bind,
    tlsCert: config.tlsCert,
    acmeDirectory: config.acmeDirectory,
    ports: {
      submission: bound.submission ?? config.submissionPort,
      submissions: bound.submissions ?? config.smtpsPort,
      imap: bound.imap ?? config.imapPort,
      imaps: bound.imaps ?? config.imapsPort,
      pop3: bound.pop3 ?? config.pop3Port,
      pop3s: bound.pop3s ?? config.pop3sPort,
      https: bound.https ?? config.publicHttpsPort,
    },
  };
}

/** Whether an address is one the world can reach us at (not loopback, private, link-local or unspecified). */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) {
    const [a, b] = address.split(".").map(Number) as [number, number];
    if (a === 0 || a === 10 || a === 127 || a >= 224) return false;
    if (a === 169 && b === 254) return false;
    if (a === 172 && b >= 16 && b <= 31) return false;
    if (a === 192 && b === 168) return false;
    if (a === 100 && b >= 64 && b <= 127) return false; // RFC 6598 shared address space
    return true;
  }
  if (family === 6) {
    const lower = address.toLowerCase();
    if (lower === "::" || lower === "::1") return false;
    return !/^(f[cd]|fe[89ab]|ff)/.test(lower);
  }
  return false;
}

/** DKIM TXT record text (RFC 6376 §3.6.1; k=ed25519 from RFC 8463 §4.2). */
export function dkimRecordText(key: Pick<DkimKeyInfo, "algorithm" | "publicKey">): string {
  return `v=DKIM1; k=${key.algorithm === "ed25519-sha256" ? "ed25519" : "rsa"}; p=${key.publicKey}`;
}

/** Every record for the domain; DKIM records for the active and retiring keys (not the retired). */
export function dnsRecordsExpected(
  domainName: string,
  keys: readonly DkimKeyInfo[],
  settings: PublishSettings,
): DnsRecordItem[] {
  const domain = domainToASCII(domainName) || domainName;
  const host = domainToASCII(settings.hostname) || settings.hostname;
  const bind = settings.bind.replace(/^\[|\]$/g, "");
  const publicBind = isPublicAddress(bind) ? bind : null;
  const items: DnsRecordItem[] = [];
  const add = (item: Omit<DnsRecordItem, "ttl"> & { ttl?: number | null }) =>
    items.push({ ttl: TTL, ...item });

  add({
    type: "MX",
    name: domain,
    value: `10 ${host}`,
    purpose: `Mail for ${domain} is delivered to this server (RFC 5321 §5.1).`,
  });
  if (publicBind) {
    add({
      type: isIP(publicBind) === 6 ? "AAAA" : "A",
      name: host,
      value: publicBind,
      purpose: `The address of the mail host; belongs in the zone that holds ${host}.`,
    });
  }
  const ip = publicBind ? ` ${isIP(publicBind) === 6 ? "ip6" : "ip4"}:${publicBind}` : "";
  add({
    type: "TXT",
    name: domain,
    value: `v=spf1 mx${ip} -all`,
    purpose:
      "SPF (RFC 7208): only this server (the MX host) sends mail for the domain; receivers may refuse the rest.",
  });
  for (const key of keys) {
    if (key.state === "retired") continue;
    add({
      type: "TXT",
      name: `${key.selector}._domainkey.${domain}`,
      value: dkimRecordText(key),
      purpose:
        key.state === "active"
          ? `DKIM public key (${key.algorithm}), signing outgoing mail now (RFC 6376 §3.6.1).`
          : `DKIM public key (${key.algorithm}), rotated out: keep it published until ${new Date(key.retireAt ?? 0).toISOString()}, then remove it.`,
    });
  }
  add({
    type: "TXT",
    name: `_dmarc.${domain}`,
    value: `v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@${domain}`,
    purpose:
      "DMARC (RFC 7489): mail failing SPF and DKIM alignment goes to spam; aggregate reports go to dmarc-reports@ (create that address).",
  });
  const policy = mtaStsPolicy(settings, domain);
  add({
    type: "TXT",
    name: `_mta-sts.${domain}`,
    value: `v=STSv1; id=${mtaStsPolicyId(policy)}`,
    purpose: "MTA-STS (RFC 8461 §3.1): senders must use TLS to reach us; the id changes with the policy.",
  });
  add({
    type: "CNAME",
    name: `mta-sts.${domain}`,
    value: host,
    purpose:
      "The host that serves the MTA-STS policy over HTTPS (an A/AAAA record for this name does as well).",
  });
  add({
    type: "FILE",
    name: `https://mta-sts.${domain}/.well-known/mta-sts.txt`,
    value: policy,
    ttl: null,
    purpose:
      "Not a DNS record: the MTA-STS policy file (RFC 8461 §3.2), served over HTTPS at this URL with a certificate valid for mta-sts.<domain>.",
  });
  add({
    type: "TXT",
    name: `_smtp._tls.${domain}`,
    value: `v=TLSRPTv1; rua=mailto:tls-reports@${domain}`,
    purpose: "TLS-RPT (RFC 8460): where senders report TLS failures reaching us (create tls-reports@).",
  });
  add({
    type: "CNAME",
    name: `autoconfig.${domain}`,
    value: host,
    purpose:
      "Thunderbird's autoconfig host (https://autoconfig.<domain>/mail/config-v1.1.xml, served by the public listeners).",
  });
  const https = settings.ports.https;
  add({
    type: "SRV",
    name: `_autodiscover._tcp.${domain}`,
    value: https === null ? "0 0 0 ." : `0 1 ${https} ${host}`,
    purpose: `Outlook and other Autodiscover clients find the server that answers POST /autodiscover/autodiscover.xml${https === null ? ": not offered (the public HTTPS listener is off)" : " (the public HTTPS listener)"}.`,
  });
  const services: Array<[string, number | null, string]> = [
    ["_submission._tcp", settings.ports.submission, "mail submission with STARTTLS (RFC 6186 §3.1)"],
    ["_submissions._tcp", settings.ports.submissions, "mail submission over TLS (RFC 8314 §5.1)"],
    ["_imap._tcp", settings.ports.imap, "IMAP with STARTTLS (RFC 6186 §3.2)"],
    ["_imaps._tcp", settings.ports.imaps, "IMAP over TLS (RFC 6186 §3.2)"],
    ["_pop3._tcp", settings.ports.pop3, "POP3 with STARTTLS (RFC 6186 §3.3)"],
    ["_pop3s._tcp", settings.ports.pop3s, "POP3 over TLS (RFC 6186 §3.3)"],
  ];
  for (const [label, port, what] of services) {
    add({
      type: "SRV",
      name: `${label}.${domain}`,
      // RFC 6186 §4: target "." says the service is not offered.
      value: port === null ? "0 0 0 ." : `0 1 ${port} ${host}`,
      purpose: `Mail clients find ${what}${port === null ? ": not offered (the listener is off)" : ""}.`,
    });
  }
  return items;
}

/** RFC 1035 §3.3.14: a TXT record's text as quoted strings of at most 255 bytes, escaped. */
export function txtStrings(text: string): string {
  const bytes = Buffer.from(text, "utf8");
  const parts: string[] = [];
  let start = 0;
  do {
    let end = Math.min(start + 255, bytes.length);
    // Never split a UTF-8 sequence: end before a continuation byte.
    while (end < bytes.length && end > start + 1 && (bytes[end]! & 0xc0) === 0x80) end--;
    parts.push(bytes.subarray(start, end).toString("utf8"));
    start = end;
  } while (start < bytes.length);
  return parts.map((p) => `"${p.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(" ");
}

/** The records as a BIND zone-file fragment (RFC 1035 §5): absolute names, the policy as comments. */
export function dnsZoneText(
  items: readonly DnsRecordItem[],
  about: { domain: string; hostname: string },
): string {
  const { domain, hostname } = about;
  const fqdn = (name: string) => (name === "." || name.endsWith(".") ? name : `${name}.`);
  const lines = [`; DNS records for ${domain}, as Mailroom on ${hostname} expects them`, ""];
  for (const item of items) {
    lines.push(`; ${item.purpose}`);
    if (item.type === "FILE") {
      lines.push(`; ${item.name}:`);
      for (const line of item.value.split(/\r?\n/).filter((l) => l !== "")) lines.push(`;   ${line}`);
      lines.push("");
      continue;
    }
    let data = item.value;
    if (item.type === "TXT") data = txtStrings(item.value);
    else if (item.type === "MX" || item.type === "SRV" || item.type === "CNAME") {
      // The last field of these is a name: absolute in a zone file.
      const fields = item.value.split(" ");
      fields[fields.length - 1] = fqdn(fields[fields.length - 1]!);
      data = fields.join(" ");
    }
    lines.push(`${fqdn(item.name)}\t${item.ttl ?? TTL}\tIN\t${item.type}\t${data}`, "");
  }
  return `${lines.join("\n").trimEnd()}\n`;
}
