/**
 * What every client-configuration document says, from one place: the host name clients connect to
 * and the ports of the listeners that are on, preferred in the order of RFC 8314 §5.1 (implicit TLS
 * first, then STARTTLS). Thunderbird autoconfig, Autodiscover and the Apple profile are built from it.
 */

export interface ClientSettings {
  hostname: string;
  /** Ports actually bound; null for a listener that is off. */
  ports: {
    imap: number | null;
    imaps: number | null;
    pop3: number | null;
    pop3s: number | null;
    submission: number | null;
    submissions: number | null;
  };
}

export type Security = "tls" | "starttls";

export interface ServerEntry {
  protocol: "imap" | "pop3" | "smtp";
  port: number;
  /** "tls": TLS from the first byte (RFC 8314 §3.3); "starttls": the upgrade command first. */
  security: Security;
}

/** Every offered server, best first within each protocol (RFC 8314 §5.1: implicit TLS preferred). */
export function serverEntries(settings: ClientSettings): ServerEntry[] {
  const { ports } = settings;
  const entries: Array<[ServerEntry["protocol"], number | null, Security]> = [
    ["imap", ports.imaps, "tls"],
    ["imap", ports.imap, "starttls"],
    ["pop3", ports.pop3s, "tls"],
    ["pop3", ports.pop3, "starttls"],
    ["smtp", ports.submissions, "tls"],
    ["smtp", ports.submission, "starttls"],
  ];
  return entries
    .filter((e): e is [ServerEntry["protocol"], number, Security] => e[1] !== null)
    .map(([protocol, port, security]) => ({ protocol, port, security }));
}

/** The best server of a protocol, or undefined when none of its listeners is on. */
export function bestServer(
  settings: ClientSettings,
  protocol: ServerEntry["protocol"],
): ServerEntry | undefined {
  return serverEntries(settings).find((e) => e.protocol === protocol);
}

/** XML 1.0 §2.4: text and attribute values with the five markup characters escaped. */
export function xmlEscape(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => `&${{ "<": "lt", ">": "gt", "&": "amp", '"': "quot", "'": "apos" }[c]};`,
  );
}
