/**
 * Our own MTA-STS policy (RFC 8461 §3.2), as served at https://mta-sts.<domain>/.well-known/mta-sts.txt,
 * and its id for the `_mta-sts` TXT record (§3.1). One function, so that the DNS records, the HTTP
 * listener and whoever serves the policy over public HTTPS all say the same.
 */
import { createHash } from "node:crypto";
import type { Config } from "../config.ts";

/** RFC 8461 §3.2 max_age: one week, long enough to protect, short enough to change course. */
const MAX_AGE_SECONDS = 604_800;

export type MtaStsSettings = Pick<Config, "hostname" | "tlsCert" | "acmeDirectory">;

/**
 * The policy text for a domain whose MX is our host name. `enforce` needs a certificate that
 * senders can verify (§4.2: PKIX-valid for the MX name): a configured one, or one issued over ACME
 * (MAILROOM_ACME_DIRECTORY). With the self-signed one Mailroom makes otherwise, enforcing would make
 * every policy-honouring sender refuse us, so the policy says `testing` (senders report failures
 * over TLS-RPT but still deliver).
 */
export function mtaStsPolicy(config: MtaStsSettings, _domain: string): string {
  const mode = config.tlsCert || config.acmeDirectory ? "enforce" : "testing";
  return `version: STSv1\r\nmode: ${mode}\r\nmx: ${config.hostname}\r\nmax_age: ${MAX_AGE_SECONDS}\r\n`;
}

/** §3.1 id: 1*32 letters and digits, different whenever the policy text is. */
export function mtaStsPolicyId(policy: string): string {
  return createHash("sha256").update(policy).digest("hex").slice(0, 20);
}
