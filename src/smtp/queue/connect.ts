/**
 * Connecting to a destination under its transport-security policy (delivery/tls-policy.ts): the hosts
 * in order (RFC 5321 §5.1), each with the TLS its policy asks for; a host whose TLS falls short is
 * left (never used in plain text when the policy requires TLS) and the next one tried. Every attempt
 * under a recipient-domain policy is counted for TLS-RPT (RFC 8460 §4).
 */
import type { Logger } from "../../log.ts";
import { type Store, type TlsResultInput, tlsResultAdd } from "../../store/mod.ts";
import { type SmtpSession, smtpConnect } from "../delivery/client.ts";
import type { DeliveryHost } from "../delivery/routes.ts";
import {
  connectOptions,
  type DomainPolicy,
  type HostPolicy,
  hostRefused,
  policySatisfied,
  reportPolicy,
} from "../delivery/tls-policy.ts";

export interface ConnectContext {
  store: Store;
  log: Logger;
  hostname: string;
  /** Extra CAs (MAILROOM_TLS_CA_FILE) for verified TLS. */
  extraCa?: readonly string[];
  now?: () => number;
}

export type Connected = {
  kind: "connected";
  session: SmtpSession;
  /** For logs and DSNs: "name" or "name:port". */
  host: string;
  candidate: DeliveryHost;
  policy: HostPolicy;
  /** The connection meets the host's policy (false only when opened ignoring it, TLS-Required: No). */
  satisfied: boolean;
};

export type NotConnected = {
  kind: "unreachable";
  detail: string;
  /** Every host was left for its transport security (so the status is 4.7.5, not 4.4.1). */
  security: boolean;
};

/** UTC day of a time: TLS-RPT reports cover whole UTC days (RFC 8460 §4.4). */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Counts one session (or failure) under the policy, for the daily report. Never throws. */
export async function recordTls(
  ctx: ConnectContext,
  domain: string,
  policy: HostPolicy | { kind: "sts-failed" },
  fact: { mxHost?: string; ip?: string; result: string; reason?: string },
): Promise<void> {
  const reported =
    policy.kind === "sts-failed" ? { type: "sts" as const, strings: [] } : reportPolicy(policy);
  if (!reported) return;
  const input: TlsResultInput = {
    day: utcDay((ctx.now ?? Date.now)()),
    policyDomain: domain,
    policyType: reported.type,
    policyStrings: reported.strings,
    ...(fact.mxHost ? { mxHost: fact.mxHost } : {}),
    ...(fact.ip ? { receivingIp: fact.ip } : {}),
    result: fact.result,
    ...(fact.reason ? { reason: fact.reason } : {}),
  };
  try {
    await ctx.store.write((w) => tlsResultAdd(w, input));
  } catch (error) {
    ctx.log.error("tlsrpt.record_failed", { domain, error });
  }
}

export async function connectFirst(
  ctx: ConnectContext,
  domain: string,
  hosts: readonly DeliveryHost[],
  policy: DomainPolicy,
  options: { ignorePolicy: boolean },
): Promise<Connected | NotConnected> {
  const errors: string[] = [];
  let securityOnly = true;
  for (const candidate of hosts) {
    const hostPolicy = policy.hosts.get(candidate) ?? { kind: "none" as const };
    const host = candidate.port === 25 ? candidate.host : `${candidate.host}:${candidate.port}`;
    const refused = options.ignorePolicy ? undefined : hostRefused(candidate, hostPolicy);
    if (refused) {
      errors.push(`${host}: ${refused}`);
      if (hostPolicy.kind === "sts")
        await recordTls(ctx, domain, hostPolicy, {
          mxHost: candidate.host,
          result: "validation-failure",
          reason: refused,
        });
      continue;
    }
    const tlsOptions = connectOptions(candidate, hostPolicy, {
      ...(ctx.extraCa ? { extraCa: ctx.extraCa } : {}),
      ignorePolicy: options.ignorePolicy,
    });
    const report = !options.ignorePolicy;
    // The addresses our resolver found for the name, in order (RFC 5321 §5.1); else the name itself.
    for (const address of candidate.addresses ?? [candidate.host]) {
      const where = address === candidate.host ? host : `${host} [${address}]`;
      const connected = await smtpConnect({
        host: address,
        port: candidate.port,
        helo: ctx.hostname,
        ...(address !== candidate.host ? { servername: candidate.host } : {}),
        ...tlsOptions,
      });
      if (connected.kind === "unreachable") {
        errors.push(`${where}: ${connected.reply}`);
        if (!connected.tls) securityOnly = false;
        else if (report)
          await recordTls(ctx, domain, hostPolicy, { mxHost: candidate.host, ip: address, ...connected.tls });
        ctx.log.info("queue.host_unreachable", { domain, host, address, error: connected.reply });
        continue;
      }
      const session = connected.session;
      const check = session.tlsCheck;
      if (report) {
        const fact = !session.encrypted
          ? { result: "starttls-not-supported", reason: session.tlsFailure ?? "STARTTLS not offered" }
          : check && !check.ok
            ? { result: check.result, reason: check.reason }
            : { result: "success" };
        await recordTls(ctx, domain, hostPolicy, { mxHost: candidate.host, ip: address, ...fact });
      }
      const satisfied = policySatisfied(hostPolicy, session.encrypted, check);
      if (!satisfied && !options.ignorePolicy) {
        // RFC 7672 §2.2, RFC 8461 §5: a certificate that fails the policy ends this host, before MAIL.
        session.quit();
        const why = check && !check.ok ? `${check.result}: ${check.reason}` : "TLS requirement not met";
        errors.push(`${where}: ${why}`);
        ctx.log.warn("queue.tls_policy_failed", {
          domain,
          host,
          address,
          policy: hostPolicy.kind,
          error: why,
        });
        continue;
      }
      return { kind: "connected", session, host, candidate, policy: hostPolicy, satisfied };
    }
  }
  return {
    kind: "unreachable",
    detail: `no host for ${domain} took the connection (${errors.join("; ")})`,
    security: securityOnly && errors.length > 0,
  };
}
