/**
 * Which transport security a delivery must have, host by host (RFC 8461 §2: DANE takes precedence
 * over MTA-STS):
 * - DANE (RFC 7672): a host reached through DNSSEC-secure answers (MX and addresses) with secure TLSA
 *   records: TLS required, the certificate must match a usable record; only unusable records: TLS
 *   required, unauthenticated (§2.2); a TLSA lookup that fails for such a host: the host is not used.
 * - MTA-STS (RFC 8461 §5): "enforce": only MX hosts the policy names, TLS required, a certificate
 *   valid for the MX name from a trusted CA; "testing": delivered anyway, failures reported.
 * - neither: opportunistic TLS (client.ts).
 * A static route has no DNS policy: its URL says what it needs (a smarthost with credentials must
 * present a certificate valid for its name).
 */
import { checkServerIdentity, type PeerCertificate, rootCertificates, type TLSSocket } from "node:tls";
import type { DnsResolver, TlsaRecord } from "../../dns/mod.ts";
import type { CachedStsPolicy } from "../../store/mod.ts";
import type { SessionOptions, TlsCheck } from "./client.ts";
import { daneCheck, tlsaText, usableTlsa } from "./dane.ts";
import { mxMatches, type StsContext, type StsLookup, stsPolicyLookup } from "./mta-sts.ts";
import type { DeliveryHost } from "./routes.ts";

export type HostPolicy =
  | { kind: "dane"; records: TlsaRecord[]; strings: string[] }
  | { kind: "dane-unusable"; strings: string[] }
  /** RFC 7672 §2.2: the TLSA lookup of a secure host failed; skip the host this time. */
  | { kind: "dane-failed"; detail: string }
  | { kind: "sts"; mode: "enforce" | "testing"; policy: CachedStsPolicy }
  | { kind: "route"; verify: boolean }
  | { kind: "none" };

export interface TlsPolicyContext extends StsContext {
  resolver: Pick<DnsResolver, "txt" | "a" | "aaaa" | "tlsa">;
}

export interface DomainPolicy {
  domain: string;
  /** The MTA-STS outcome, when one was looked up (not for static routes). */
  sts: StsLookup | null;
  hosts: Map<DeliveryHost, HostPolicy>;
}

/** Looks up DANE for every host and MTA-STS for the domain. Never throws. */
export async function domainTlsPolicy(
  domain: string,
  hosts: readonly DeliveryHost[],
  ctx: TlsPolicyContext,
): Promise<DomainPolicy> {
  const map = new Map<DeliveryHost, HostPolicy>();
  if (hosts.every((h) => h.route)) {
    for (const h of hosts) map.set(h, { kind: "route", verify: h.route?.auth !== undefined });
    return { domain, sts: null, hosts: map };
  }
  const [sts, ...dane] = await Promise.all([
    stsPolicyLookup(domain, ctx).catch(
      (error): StsLookup => ({ kind: "failed", result: "sts-policy-fetch-error", reason: String(error) }),
    ),
    ...hosts.map((h) => daneLookup(h, ctx)),
  ]);
  hosts.forEach((h, i) => {
    const d = dane[i];
    if (d) map.set(h, d);
    else if (sts.kind === "policy" && sts.policy.mode !== "none")
      map.set(h, { kind: "sts", mode: sts.policy.mode, policy: sts.policy });
    else map.set(h, { kind: "none" });
  });
  return { domain, sts, hosts: map };
}

/**
 * RFC 7672 §2.2: TLSA at _25._tcp.<host>, only for a host DNSSEC led us to. Always port 25: MX
 * delivery is to the SMTP port (tests that listen elsewhere publish their TLSA at _25 too).
 */
async function daneLookup(host: DeliveryHost, ctx: TlsPolicyContext): Promise<HostPolicy | undefined> {
  if (!host.dnssec) return undefined;
  const answer = await ctx.resolver.tlsa(`_25._tcp.${host.host}`);
  if (answer.kind === "temperror") return { kind: "dane-failed", detail: `TLSA lookup: ${answer.detail}` };
  if (answer.kind !== "ok" || !answer.authenticated) return undefined;
  const strings = answer.records.map(tlsaText);
  const usable = usableTlsa(answer.records);
  return usable.length > 0 ? { kind: "dane", records: usable, strings } : { kind: "dane-unusable", strings };
}

/**
 * Whether the policy lets us connect to this host at all (MTA-STS enforce: only the policy's MX
 * names, RFC 8461 §4.1); a reason when not.
 */
export function hostRefused(host: DeliveryHost, policy: HostPolicy): string | undefined {
  if (policy.kind === "dane-failed") return policy.detail;
  if (policy.kind === "sts" && policy.mode === "enforce" && !mxMatches(host.host, policy.policy.mx))
    return `MX host ${host.host} is not named by the MTA-STS policy of ${policy.policy.domain}`;
  return undefined;
}

/** PKIX (RFC 8461 §4.2, RFC 6125): a chain to a trusted CA and the reference name in the certificate. */
export function pkixCheck(name: string): (socket: TLSSocket) => TlsCheck {
  return (socket) => {
    const error = String(socket.authorizationError ?? "");
    if (!socket.authorized && !/ALTNAME|HOSTNAME/i.test(error)) {
      if (/EXPIRED/i.test(error)) return { ok: false, result: "certificate-expired", reason: error };
      return { ok: false, result: "certificate-not-trusted", reason: error || "not trusted" };
    }
    const identity = checkServerIdentity(name, socket.getPeerCertificate(false) as PeerCertificate);
    if (identity) return { ok: false, result: "certificate-host-mismatch", reason: identity.message };
    return { ok: true, detail: `certificate verified for ${name}` };
  };
}

/** What smtpConnect needs for a host under its policy. */
export function connectOptions(
  host: DeliveryHost,
  policy: HostPolicy,
  options: { extraCa?: readonly string[]; ignorePolicy?: boolean },
): Pick<SessionOptions, "tls" | "check" | "ca" | "auth"> {
  const ca =
    options.extraCa && options.extraCa.length > 0 ? [...rootCertificates, ...options.extraCa] : undefined;
  const withCa = ca ? { ca } : {};
  // RFC 8689 §5.3 (TLS-Required: No): TLS if it can be had, any policy ignored.
  if (options.ignorePolicy && policy.kind !== "route") return {};
  switch (policy.kind) {
    case "dane":
      return { tls: "required", check: (socket) => daneCheck(socket, policy.records, [host.host]) };
    case "dane-unusable":
      return { tls: "required" };
    case "sts":
      // "testing": the same check, only reported (RFC 8461 §5).
      return {
        ...(policy.mode === "enforce" ? { tls: "required" } : {}),
        check: pkixCheck(host.host),
        ...withCa,
      };
    case "route": {
      const route = host.route!;
      const tls = route.tls === "implicit" ? "implicit" : route.tls === "starttls" ? "required" : undefined;
      return {
        ...(tls ? { tls } : {}),
        ...(tls ? { check: pkixCheck(route.host) } : {}),
        ...withCa,
        ...(route.auth ? { auth: { user: route.auth.user, pass: route.auth.pass } } : {}),
      };
    }
    default:
      return {};
  }
}

/** Whether a connection's TLS satisfies the host's policy (so mail may go over it). */
export function policySatisfied(policy: HostPolicy, encrypted: boolean, check: TlsCheck | null): boolean {
  switch (policy.kind) {
    case "dane":
      return encrypted && check?.ok === true;
    case "dane-unusable":
      return encrypted;
    case "sts":
      return policy.mode === "testing" || (encrypted && check?.ok === true);
    case "route":
      return !policy.verify || (encrypted && check?.ok === true);
    default:
      return true;
  }
}

/**
 * RFC 8689 §4.2.1: REQUIRETLS mail only over TLS that is authenticated through DANE or an MTA-STS
 * policy in force (or a smarthost whose certificate verified).
 */
export function verifiedForRequireTls(
  policy: HostPolicy,
  encrypted: boolean,
  check: TlsCheck | null,
): boolean {
  if (!encrypted || check?.ok !== true) return false;
  return (
    policy.kind === "dane" ||
    (policy.kind === "sts" && policy.mode === "enforce") ||
    (policy.kind === "route" && policy.verify)
  );
}

/** RFC 8460 §4.3.1 policy-type and policy-string for a host's policy. */
export function reportPolicy(
  policy: HostPolicy,
): { type: "sts" | "tlsa" | "no-policy-found"; strings: string[] } | undefined {
  switch (policy.kind) {
    case "dane":
    case "dane-unusable":
      return { type: "tlsa", strings: policy.strings };
    case "sts":
      return { type: "sts", strings: policy.policy.policyText.split(/\r?\n/).filter((l) => l.trim() !== "") };
    case "none":
      return { type: "no-policy-found", strings: [] };
    default:
      // Static routes are our own configuration, not the recipient domain's policy.
      return undefined;
  }
}
