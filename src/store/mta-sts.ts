/**
 * The MTA-STS policy cache (RFC 8461 §5.1): the last policy fetched for each recipient domain. Only
 * facts live here; when to fetch, and what a policy means, is the delivery code's business.
 */
import { type Reader, rawFirst, type Write } from "./db.ts";

export interface CachedStsPolicy {
  domain: string;
  /** The `_mta-sts` TXT record's id when this policy was fetched. */
  policyId: string;
  mode: "enforce" | "testing" | "none";
  mx: string[];
  maxAge: number;
  policyText: string;
  fetchedAt: number;
  expiresAt: number;
}

export async function stsPolicyGet(r: Reader, domain: string): Promise<CachedStsPolicy | undefined> {
  const row = await rawFirst(r, {
    sql: "SELECT domain, policy_id, mode, mx, max_age, policy_text, fetched_at, expires_at FROM mta_sts_policies WHERE domain = ?",
    args: [domain.toLowerCase()],
  });
  if (!row) return undefined;
  const mode = String(row.mode);
  return {
    domain: String(row.domain),
    policyId: String(row.policy_id),
    mode: mode === "enforce" || mode === "testing" ? mode : "none",
    mx: JSON.parse(String(row.mx)) as string[],
    maxAge: Number(row.max_age),
    policyText: String(row.policy_text),
    fetchedAt: Number(row.fetched_at),
    expiresAt: Number(row.expires_at),
  };
}

/** Stores (or replaces) a domain's policy. */
export async function stsPolicyPut(w: Write, policy: CachedStsPolicy): Promise<void> {
  await w.exec({
    sql: `INSERT INTO mta_sts_policies (domain, policy_id, mode, mx, max_age, policy_text, fetched_at, expires_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?)
          ON CONFLICT (domain) DO UPDATE SET policy_id = excluded.policy_id, mode = excluded.mode, mx = excluded.mx,
            max_age = excluded.max_age, policy_text = excluded.policy_text, fetched_at = excluded.fetched_at,
            expires_at = excluded.expires_at`,
    args: [
      policy.domain.toLowerCase(),
      policy.policyId,
      policy.mode,
      JSON.stringify(policy.mx),
      policy.maxAge,
      policy.policyText,
      policy.fetchedAt,
      policy.expiresAt,
    ],
  });
}
