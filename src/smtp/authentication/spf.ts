/**
 * SPF (RFC 7208) for both identities a client gives: the MAIL FROM domain (§2.4; for the null
 * reverse-path that is the HELO identity, postmaster@<helo>) and, separately, the HELO name itself
 * (§2.3, "RECOMMENDED"). The check starts at MAIL FROM (inbound.ts) and runs while the client sends
 * its recipients and data. It never rejects: every failure is a result (temperror, permerror).
 */
import type { DNSResolver } from "mailauth";
import { spf } from "mailauth/lib/spf/index.js";
import { formatAuthHeaderRow } from "mailauth/lib/tools.js";
import type { LookupFunction } from "./resolver.ts";

export interface SpfIdentity {
  /** RFC 7208 §2.6: none, neutral, pass, fail, softfail, temperror, permerror. */
  result: string;
  /** The domain checked (the MAIL FROM domain, or the HELO name). */
  domain: string | null;
  /** This identity's resinfo for Authentication-Results (RFC 8601 §2.7.2), null when not reported. */
  info: string | null;
}

export interface SpfOutcome {
  mailFrom: SpfIdentity;
  /** The HELO check; null when MAIL FROM was <> (then `mailFrom` is the HELO check). */
  helo: SpfIdentity | null;
}

export interface SpfInput {
  ip: string;
  /** The reverse-path, "" for <>. */
  mailFrom: string;
  /** The EHLO/HELO argument as the client gave it. */
  helo: string;
  /** Our host name, for the explanations mailauth writes. */
  hostname: string;
  lookup: LookupFunction;
  /** RFC 7208 §4.6.4: the evaluation's time limit; past it, temperror. */
  maxElapsedMs: number;
}

/** A HELO name SPF can look up: a fully qualified domain name (not an address literal, not a bare word). */
export function heloDomain(helo: string): string | undefined {
  const name = helo.trim().replace(/\.$/, "").toLowerCase();
  if (name.length > 253 || !name.includes(".")) return undefined;
  const labels = name.split(".");
  if (!labels.every((l) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(l))) return undefined;
  // All-numeric last label: an IPv4 address given without brackets, not a name.
  return /^\d+$/.test(labels.at(-1)!) ? undefined : name;
}

async function evaluate(
  input: SpfInput,
  sender: string,
  identity: "mailfrom" | "helo",
): Promise<SpfIdentity> {
  const helo = heloDomain(input.helo);
  const senderDomain = sender.slice(sender.lastIndexOf("@") + 1).toLowerCase();
  try {
    const result = await spf({
      sender,
      ip: input.ip,
      ...(helo ? { helo } : {}),
      mta: input.hostname,
      resolver: input.lookup as DNSResolver,
      maxElapsedTime: input.maxElapsedMs,
    });
    const status = result.status;
    const info =
      identity === "helo"
        ? formatAuthHeaderRow("spf", {
            result: status.result,
            ...(status.comment ? { comment: status.comment } : {}),
            smtp: { helo: senderDomain },
          })
        : result.info;
    return { result: status.result, domain: result.domain, info };
  } catch (error) {
    // mailauth turns its own failures into results; anything escaping is a bug, reported as temperror.
    return {
      result: "temperror",
      domain: senderDomain,
      info: formatAuthHeaderRow("spf", {
        result: "temperror",
        comment: String((error as Error).message ?? error).slice(0, 200),
        smtp: identity === "helo" ? { helo: senderDomain } : { mailfrom: sender },
      }),
    };
  }
}

const NOT_A_NAME: SpfIdentity = { result: "none", domain: null, info: null };

/**
 * Reuses an identity's evaluation within one session: `key` names everything the result depends on
 * (client address, HELO, identity, sender), `run` evaluates it.
 */
export type SpfMemo = (key: string, run: () => Promise<SpfIdentity>) => Promise<SpfIdentity>;

const noMemo: SpfMemo = (_key, run) => run();

/** Both checks, concurrently. */
export async function checkSpf(input: SpfInput, memo: SpfMemo = noMemo): Promise<SpfOutcome> {
  const helo = heloDomain(input.helo);
  const heloCheck = helo
    ? memo(`${input.ip} ${helo} helo`, () => evaluate(input, `postmaster@${helo}`, "helo"))
    : Promise.resolve(NOT_A_NAME);
  if (input.mailFrom === "") return { mailFrom: await heloCheck, helo: null };
  const [mailFrom, heloResult] = await Promise.all([
    memo(`${input.ip} ${input.helo} mailfrom ${input.mailFrom}`, () =>
      evaluate(input, input.mailFrom, "mailfrom"),
    ),
    heloCheck,
  ]);
  return { mailFrom, helo: heloResult };
}
