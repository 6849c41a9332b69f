/**
 * What the inbound checks found, as stored with the message (contents.authentication) and shown by
 * the REST message view: one entry per method, result keywords of RFC 8601 §2.7.
 */

export interface IdentityResult {
  result: string;
  domain: string | null;
}

export interface DkimResult {
  /** RFC 8601 §2.7.1: pass, fail, neutral, policy, temperror, permerror. */
  result: string;
  /** d= */
  domain: string | null;
  /** s= */
  selector: string | null;
  /** a=, e.g. rsa-sha256, ed25519-sha256 */
  algorithm: string | null;
  /** Why, when it did not pass (the comment of the Authentication-Results resinfo). */
  reason?: string;
}

export interface DmarcResult {
  /** RFC 7489 §11.2: pass, fail, none, temperror, permerror. */
  result: string;
  /** The policy that applied after sp=, np=, t= and pct= (none, quarantine, reject); null when unknown. */
  policy: string | null;
  /** The RFC5322.From domain (the author domain). */
  domain: string | null;
  /** What we did: none (delivered), quarantine (into Junk), reject (550, never stored). */
  disposition: "none" | "quarantine" | "reject";
}

export interface AuthenticationResults {
  /** RFC 7208: the MAIL FROM identity (the HELO identity for the null reverse-path). */
  spf: IdentityResult;
  /** RFC 7208 §2.3: the HELO identity on its own; null when MAIL FROM was <> (then `spf` is it). */
  helo: IdentityResult | null;
  /** Every DKIM-Signature, top first; empty when the message is not signed. */
  dkim: DkimResult[];
  /** Null when DMARC could not be applied (no From domain, or several: RFC 9989 §5.3.1). */
  dmarc: DmarcResult | null;
  /** RFC 8617 §4.4: none, pass, fail. */
  arc: { result: string };
}
