/**
 * Checking incoming mail: SPF (RFC 7208), DKIM (RFC 6376, RFC 8463), DMARC (RFC 7489, RFC 9989),
 * ARC (RFC 8617) and the Authentication-Results field (RFC 8601). The SMTP hooks call `InboundAuth`
 * (inbound.ts) at MAIL FROM and at the end of DATA.
 */

export { InboundAuth, type InboundAuthOptions, type InboundChecked, JUNK_KEYWORD } from "./inbound.ts";
export { AUTH_LIMITS } from "./limits.ts";
export type { AuthenticationResults, DkimResult, DmarcResult } from "./types.ts";
