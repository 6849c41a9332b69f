/**
 * Microsoft Autodiscover, the plain-old-XML form Outlook and many other clients POST to
 * /autodiscover/autodiscover.xml ([MS-OXDSCLI] §2.2.4: the request schema
 * .../outlook/requestschema/2006, answered in .../outlook/responseschema/2006a): one Protocol
 * element per service, the best port of each (implicit TLS when that listener is on).
 */
import { decodeXML } from "entities";
import { bestServer, type ClientSettings, type ServerEntry, xmlEscape } from "./settings.ts";

export const AUTODISCOVER_RESPONSE_NS =
  "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006";
export const OUTLOOK_RESPONSE_NS =
  "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";

/**
 * The EMailAddress of a request, or undefined. Read with a bounded pattern, not an XML parser: the
 * request is one known element deep and nothing else in it matters (and no DTD or entity beyond the
 * predefined five is ever expanded).
 */
export function autodiscoverRequestAddress(body: string): string | undefined {
  const match =
    /<(?:[A-Za-z_][\w.-]*:)?EMailAddress\s*>\s*([^<]{1,320}?)\s*<\/(?:[A-Za-z_][\w.-]*:)?EMailAddress\s*>/.exec(
      body,
    );
  if (!match) return undefined;
  const address = decodeXML(match[1]!).trim();
  return /^[^\s@<>]+@[^\s@<>]+$/.test(address) ? address : undefined;
}

/**
 * Whether the client asked for the Outlook response schema (it may ask for another, such as the
 * mobile sync one, which we cannot answer: error 601).
 */
export function acceptsOutlookSchema(body: string): boolean {
  const match = /<(?:[A-Za-z_][\w.-]*:)?AcceptableResponseSchema\s*>\s*([^<]{1,200}?)\s*</.exec(body);
  return !match || match[1] === OUTLOOK_RESPONSE_NS;
}

export function autodiscoverResponse(address: string, settings: ClientSettings): string {
  const protocol = (type: string, entry: ServerEntry, extra: string[] = []) =>
    [
      "      <Protocol>",
      `        <Type>${type}</Type>`,
      `        <Server>${xmlEscape(settings.hostname)}</Server>`,
      `        <Port>${entry.port}</Port>`,
      "        <DomainRequired>off</DomainRequired>",
      `        <LoginName>${xmlEscape(address)}</LoginName>`,
      "        <SPA>off</SPA>",
      // Encryption overrides SSL ([MS-OXDSCLI] §2.2.4.2.1.7.1.14): SSL is TLS from the first byte, TLS is STARTTLS.
      `        <Encryption>${entry.security === "tls" ? "SSL" : "TLS"}</Encryption>`,
      "        <AuthRequired>on</AuthRequired>",
      ...extra,
      "      </Protocol>",
    ].join("\n");
  const imap = bestServer(settings, "imap");
  const pop3 = bestServer(settings, "pop3");
  const smtp = bestServer(settings, "smtp");
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<Autodiscover xmlns="${AUTODISCOVER_RESPONSE_NS}">`,
    `  <Response xmlns="${OUTLOOK_RESPONSE_NS}">`,
    "    <Account>",
    "      <AccountType>email</AccountType>",
    "      <Action>settings</Action>",
    ...(imap ? [protocol("IMAP", imap)] : []),
    ...(pop3 ? [protocol("POP3", pop3)] : []),
    ...(smtp
      ? [protocol("SMTP", smtp, ["        <UsePOPAuth>on</UsePOPAuth>", "        <SMTPLast>off</SMTPLast>"])]
      : []),
    "    </Account>",
    "  </Response>",
    "</Autodiscover>",
    "",
  ].join("\n");
}

/** [MS-OXDSCLI] §2.2.4.2.1.2: 600 "Invalid Request", 601 "Requested schema version not supported". */
export function autodiscoverError(code: 600 | 601, message: string, now = new Date()): string {
  const time = now.toISOString().slice(11, 19);
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<Autodiscover xmlns="${AUTODISCOVER_RESPONSE_NS}">`,
    "  <Response>",
    `    <Error Time="${time}" Id="1">`,
    `      <ErrorCode>${code}</ErrorCode>`,
    `      <Message>${xmlEscape(message)}</Message>`,
    "      <DebugData />",
    "    </Error>",
    "  </Response>",
    "</Autodiscover>",
    "",
  ].join("\n");
}
