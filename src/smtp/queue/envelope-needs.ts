/** What a queued message asks of the next hop, read from its envelope and header. */
import { headerEnd, parseHeaders } from "../../mime/mod.ts";

/**
 * RFC 8689 §5.3: `TLS-Required: No` asks that the recipient domain's TLS policy (MTA-STS, DANE) be
 * ignored for this message; it still goes over TLS when TLS can be had.
 */
export function tlsRequiredNo(raw: Uint8Array): boolean {
  for (const field of parseHeaders(raw, 0, headerEnd(raw)))
    if (field.name.toLowerCase() === "tls-required") return field.value.trim().toLowerCase() === "no";
  return false;
}

function hasNonAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! > 0x7f) return true;
  return false;
}

/**
 * RFC 6531 §3.4: a message needs SMTPUTF8 when an envelope address or the header is not ASCII; one
 * that only carried the flag can go to any server (§3.4: the flag SHOULD NOT be sent then anyway).
 */
export function needsSmtpUtf8(raw: Uint8Array, sender: string, recipients: readonly string[]): boolean {
  if ([sender, ...recipients].some((a) => /[^\x00-\x7f]/.test(a))) return true;
  return hasNonAscii(raw.subarray(0, headerEnd(raw)));
}
