/**
 * MTA-STS (RFC 8461) for outgoing mail: the `_mta-sts` TXT record (§3.1), the policy file fetched
 * over HTTPS from `mta-sts.<domain>` (§3.2, §3.3), its cache in the database (§5.1), and MX matching
 * (§4.1). What a policy means for a connection (enforce, testing) is tls-policy.ts's business.
 */
import type { DnsResolver } from "../../dns/mod.ts";
import type { Logger } from "../../log.ts";
import { type CachedStsPolicy, type Store, stsPolicyGet, stsPolicyPut } from "../../store/mod.ts";
import { TLS_POLICY_LIMITS } from "../queue/limits.ts";
import { httpsRequest } from "./https-fetch.ts";

export interface StsPolicy {
  mode: "enforce" | "testing" | "none";
  mx: string[];
  maxAge: number;
}

/** RFC 8461 §3.1: exactly one TXT record starting "v=STSv1", with an id of 1-32 letters and digits. */
export function parseStsRecord(records: readonly string[]): { id: string } | { error: string } {
  const sts = records.filter((r) => /^v=STSv1;/.test(r.trim()) || r.trim() === "v=STSv1");
  if (sts.length !== 1) return { error: sts.length === 0 ? "no v=STSv1 record" : "several v=STSv1 records" };
  const fields = new Map<string, string>();
  for (const part of sts[0]!.split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const id = fields.get("id");
  if (!id || !/^[A-Za-z0-9]{1,32}$/.test(id)) return { error: "missing or malformed id" };
  return { id };
}

/**
 * RFC 8461 §3.2: "key: value" lines (LF or CRLF); version STSv1, a mode, max_age, one mx per line
 * (required unless mode is none). Unknown keys are ignored.
 */
export function parseStsPolicy(text: string): { policy: StsPolicy } | { error: string } {
  let version: string | undefined;
  let mode: string | undefined;
  let maxAge: string | undefined;
  const mx: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === "") continue;
    const colon = line.indexOf(":");
    if (colon <= 0) return { error: `not a "key: value" line: ${JSON.stringify(line.slice(0, 80))}` };
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (key === "version") version = value;
    else if (key === "mode") mode = value;
    else if (key === "max_age") maxAge = value;
    else if (key === "mx") {
      if (!/^(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?$/.test(value))
        return { error: `bad mx pattern "${value}"` };
      if (mx.length < TLS_POLICY_LIMITS.maxPolicyMx) mx.push(value.toLowerCase().replace(/\.$/, ""));
    }
  }
  if (version !== "STSv1") return { error: "version is not STSv1" };
  if (mode !== "enforce" && mode !== "testing" && mode !== "none")
    return { error: "mode missing or unknown" };
  if (!maxAge || !/^\d{1,10}$/.test(maxAge)) return { error: "max_age missing or not a number" };
  if (mode !== "none" && mx.length === 0) return { error: "no mx" };
  return {
    policy: { mode, mx, maxAge: Math.min(Number(maxAge), TLS_POLICY_LIMITS.maxPolicyAgeSeconds) },
  };
}

/**
 * RFC 8461 §4.1: an MX host matches a pattern exactly, or a "*." pattern matches one extra label on
 * the left ("*.example.com" matches "mx.example.com", not "example.com" nor "a.b.example.com").
 */
export function mxMatches(host: string, patterns: readonly string[]): boolean {
  const name = host.toLowerCase().replace(/\.$/, "");
  return patterns.some((p) => {
    if (!p.startsWith("*.")) return p === name;
    const dot = name.indexOf(".");
    return dot > 0 && name.slice(dot + 1) === p.slice(2);
  });
}

export interface StsContext {
  store: Store;
  resolver: Pick<DnsResolver, "txt" | "a" | "aaaa">;
  log: Logger;
  /** MAILROOM_MTA_STS_PORT (443). */
  port: number;
  extraCa?: readonly string[];
  timeoutMs?: number;
  now?: () => number;
}

export type StsLookup =
  /** A policy applies (from the cache or just fetched); mode "none" means none does. */
  | { kind: "policy"; policy: CachedStsPolicy }
  /** No policy: no TXT record and nothing cached (or the cache expired). */
  | { kind: "none" }
  /**
   * The TXT record announced a policy we could not get, and nothing valid is cached: deliver as if
   * there were none (RFC 8461 §5), and report it (RFC 8460 §4.3.2.2).
   */
  | {
      kind: "failed";
      result: "sts-policy-fetch-error" | "sts-policy-invalid" | "sts-webpki-invalid";
      reason: string;
    };

/** The policy for a recipient domain, per RFC 8461 §5.1. Never throws. */
export async function stsPolicyLookup(domain: string, ctx: StsContext): Promise<StsLookup> {
  const now = (ctx.now ?? Date.now)();
  const name = domain.toLowerCase();
  const cachedRow = await stsPolicyGet(ctx.store.read, name);
  const cached = cachedRow && cachedRow.expiresAt > now ? cachedRow : undefined;
  const txt = await ctx.resolver.txt(`_mta-sts.${name}`);
  // §5.1: a TXT failure or absence leaves a valid cached policy in force.
  if (txt.kind !== "ok") return cached ? { kind: "policy", policy: cached } : { kind: "none" };
  const record = parseStsRecord(txt.records);
  if ("error" in record) return cached ? { kind: "policy", policy: cached } : { kind: "none" };
  // §5.1: the same id as the cached policy: no need to fetch it again.
  if (cached && cached.policyId === record.id) return { kind: "policy", policy: cached };

  const fetched = await stsPolicyFetch(name, ctx);
  if ("policy" in fetched) {
    const policy: CachedStsPolicy = {
      domain: name,
      policyId: record.id,
      mode: fetched.policy.mode,
      mx: fetched.policy.mx,
      maxAge: fetched.policy.maxAge,
      policyText: fetched.text,
      fetchedAt: now,
      expiresAt: now + fetched.policy.maxAge * 1000,
    };
    await ctx.store.write((w) => stsPolicyPut(w, policy));
    ctx.log.info("mta_sts.policy_fetched", { domain: name, id: record.id, mode: policy.mode });
    return { kind: "policy", policy };
  }
  ctx.log.info("mta_sts.fetch_failed", { domain: name, result: fetched.result, reason: fetched.reason });
  // §5.1: a failed refresh keeps the cached policy until it expires.
  if (cached) return { kind: "policy", policy: cached };
  return { kind: "failed", result: fetched.result, reason: fetched.reason };
}

/** RFC 8461 §3.3: GET https://mta-sts.<domain>/.well-known/mta-sts.txt, 200 and text/plain only. */
export async function stsPolicyFetch(
  domain: string,
  ctx: StsContext,
): Promise<
  | { policy: StsPolicy; text: string }
  | { result: "sts-policy-fetch-error" | "sts-policy-invalid" | "sts-webpki-invalid"; reason: string }
> {
  const host = `mta-sts.${domain}`;
  const answer = await httpsRequest(
    { host, path: "/.well-known/mta-sts.txt" },
    {
      resolver: ctx.resolver,
      port: ctx.port,
      ...(ctx.extraCa ? { extraCa: ctx.extraCa } : {}),
      timeoutMs: ctx.timeoutMs ?? TLS_POLICY_LIMITS.fetchTimeoutMs,
      maxBytes: TLS_POLICY_LIMITS.maxPolicyBytes,
    },
  );
  if (answer.kind === "failed") {
    const result = answer.cause === "tls" ? "sts-webpki-invalid" : "sts-policy-fetch-error";
    return { result, reason: `${host}: ${answer.detail}` };
  }
  if (answer.status !== 200)
    return { result: "sts-policy-fetch-error", reason: `${host}: HTTP ${answer.status}` };
  // §3.3: the policy is served as text/plain (parameters such as charset allowed).
  if (!/^text\/plain\s*(;|$)/i.test(answer.contentType))
    return { result: "sts-policy-invalid", reason: `${host}: content type "${answer.contentType}"` };
  const text = answer.body.toString("utf8");
  const parsed = parseStsPolicy(text);
  if ("error" in parsed) return { result: "sts-policy-invalid", reason: `${host}: ${parsed.error}` };
  return { policy: parsed.policy, text };
}
