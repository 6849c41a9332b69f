/**
 * DKIM (RFC 6376, RFC 8463 Ed25519), ARC (RFC 8617) and DMARC (RFC 7489, with the DNS tree walk of
 * RFC 9989 §4.10) for one message, with mailauth as the verifier and our resolver under it. The SPF
 * results come in finished (spf.ts, started at MAIL FROM). Returns what was found and the
 * Authentication-Results resinfos, in the order they are written.
 *
 * mailauth 7.1 implements the RFC 9989 policy discovery itself (tree walk, psd=, np=, t=); what it
 * leaves to us: pct= of RFC 7489 §6.6.4 (policy.ts), a bound on signatures, h= lists and key sizes
 * (screen.ts, and `checkKeySize` below), and signatures its lenient mode drops without a word (an
 * unknown algorithm, a missing d= or s=), which are reported here as neutral (RFC 8601 §2.7.1: "the
 * signature ... contained syntax errors").
 */
import type { DKIMResult, DMARCResult, DNSResolver } from "mailauth";
// The parts themselves, not mailauth's index: that one also loads BIMI, VMC certificate parsing
// and MTA-STS, which inbound checking never uses.
import { arc } from "mailauth/lib/arc/index.js";
import { dkimVerify } from "mailauth/lib/dkim/verify.js";
import { evaluateDmarc } from "mailauth/lib/dmarc/index.js";
import { formatAuthHeaderRow } from "mailauth/lib/tools.js";
// With the file name: Deno resolves package subpaths only with the extension.
import addressparser from "nodemailer/lib/addressparser/index.js";
import { AUTH_LIMITS } from "./limits.ts";
import type { AuthResolver } from "./resolver.ts";
import { type Screened, type SignatureTags, screenSignatures } from "./screen.ts";
import type { SpfOutcome } from "./spf.ts";
import type { DkimResult } from "./types.ts";

export interface VerifyInput {
  /** The message as it will be stored, without our own headers. */
  body: Buffer;
  /** SPF, started at MAIL FROM; awaited only where DMARC needs it. */
  spf: Promise<SpfOutcome>;
  ip: string;
  resolver: AuthResolver;
  /** Epoch ms: every lookup still unanswered then is a temperror. */
  deadlineAt: number;
}

export interface Verified {
  dkim: DkimResult[];
  arc: { result: string };
  /** mailauth's DMARC result; false when DMARC could not be applied (no or several author domains). */
  dmarc: DMARCResult | false;
  /** Resinfos for Authentication-Results: DKIM, SPF, ARC, DMARC. */
  infos: string[];
  /** The header looks like an aggregate report's. */
  reportLike: boolean;
}

const DMARC_WALK_LABELS = 8;

/** Lookups the checks will make, started together (the verifier makes them one after the other). */
function prefetch(screened: Screened, resolver: AuthResolver): void {
  for (const sig of screened.checked)
    if (sig.domain && sig.selector) resolver.prefetch(`${sig.selector}._domainkey.${sig.domain}`, "TXT");
  if (screened.fromDomain) {
    // RFC 9989 §4.10: the tree walk asks _dmarc at the author domain and at each parent.
    const labels = screened.fromDomain.split(".").filter((l) => l !== "");
    for (let i = 0; i < labels.length && i < DMARC_WALK_LABELS; i++)
      resolver.prefetch(`_dmarc.${labels.slice(i).join(".")}`, "TXT");
  }
}

const clean = (value: string | undefined) => (value ?? "").replace(/\s+/g, "");

function entry(
  result: string,
  sig: SignatureTags,
  reason: string | undefined,
): DkimResult & { info: string } {
  return {
    result,
    domain: sig.domain || null,
    selector: sig.selector || null,
    algorithm: sig.algorithm || null,
    ...(reason ? { reason } : {}),
    info: formatAuthHeaderRow("dkim", {
      result,
      ...(reason ? { comment: reason } : {}),
      header: {
        i: sig.domain ? `@${sig.domain}` : false,
        s: sig.selector || false,
        a: sig.algorithm || false,
        b: sig.b ? sig.b.slice(0, 8) : false,
      },
    }),
  };
}

/** RFC 8301 §3.1: keys past AUTH_LIMITS.maxKeyBits are refused, whatever the signature says. */
function checkKeySize(r: DKIMResult): DKIMResult {
  if (!r.modulusLength || r.modulusLength <= AUTH_LIMITS.maxKeyBits) return r;
  const comment = `key too large (${r.modulusLength} bits, at most ${AUTH_LIMITS.maxKeyBits})`;
  const status = { ...r.status, result: "permerror" as const, comment };
  return { ...r, status, info: formatAuthHeaderRow("dkim", status) };
}

function fromVerifier(r: DKIMResult): DkimResult & { info: string } {
  return {
    result: r.status.result,
    domain: r.signingDomain ? r.signingDomain.toLowerCase() : null,
    selector: r.selector ?? null,
    algorithm: r.algo ?? null,
    ...(r.status.result !== "pass" && r.status.comment ? { reason: r.status.comment } : {}),
    info: r.info,
  };
}

/**
 * What the verifier reports of an unsigned message: the From addresses (RFC 6854 groups included,
 * as mailauth reads them) and the number of From fields, for DMARC's author domain.
 */
function unsigned(fromValues: readonly string[]): Awaited<ReturnType<typeof dkimVerify>> {
  const headerFrom: string[] = [];
  for (const value of fromValues)
    for (const entry of addressparser(value.trim()))
      for (const mailbox of "group" in entry ? (entry.group ?? []) : [entry])
        if (mailbox.address) headerFrom.push(mailbox.address);
  return { headerFrom, fromFields: fromValues.length, envelopeFrom: false, results: [] };
}

export async function verifyMessage(input: VerifyInput): Promise<Verified> {
  const screened = screenSignatures(input.body);
  prefetch(screened, input.resolver);
  const lookup = input.resolver.forCheck(input.deadlineAt) as DNSResolver;
  const options = { resolver: lookup, minBitLength: AUTH_LIMITS.minKeyBits };

  // RFC 8301 §3.1: rsa-sha1 signatures are not considered valid. Nothing signed or sealed: nothing
  // for the verifier to do but find the From addresses (most mail from small senders; a third of
  // the checks' CPU time otherwise).
  const dkim = screened.signed
    ? await dkimVerify(screened.input, { ...options, rejectRsaSha1: true })
    : unsigned(screened.fromValues);
  const verified = dkim.results.filter((r) => r.signingDomain !== undefined).map(checkKeySize);
  const dkimEntries = verified.map(fromVerifier);
  // Fields the verifier skipped (no result of theirs carries the field's b=).
  for (const sig of screened.checked)
    if (!verified.some((r) => clean(r.signature) === sig.b))
      dkimEntries.push(entry("neutral", sig, "signature syntax error"));
  for (const sig of screened.unchecked) dkimEntries.push(entry(sig.result, sig, sig.reason));

  let arcResult: Awaited<ReturnType<typeof arc>> | undefined;
  let arcInfo: string;
  if (!screened.signed) {
    arcInfo = formatAuthHeaderRow("arc", { result: "none" });
  } else if (screened.arcRefused) {
    arcInfo = formatAuthHeaderRow("arc", { result: "fail", comment: screened.arcRefused });
  } else {
    // mailauth's own types: its verifier hands over `chain: false` when there is none, which arc() takes.
    arcResult = await arc((dkim.arc ?? { chain: [] }) as Parameters<typeof arc>[0], {
      ...options,
      ip: input.ip,
    });
    arcInfo = arcResult.info ?? formatAuthHeaderRow("arc", { result: arcResult.status.result });
  }

  const spf = await input.spf;
  const spfPass = spf.mailFrom.result === "pass" && spf.mailFrom.domain;
  const passing = verified.filter((r) => r.status.result === "pass" && r.signingDomain);
  const { response: dmarc } = await evaluateDmarc({
    headerFrom: dkim.headerFrom,
    fromFields: dkim.fromFields,
    // RFC 7489 §3.1.2: the SPF-authenticated identifier is the MAIL FROM domain (HELO for <>).
    spfDomains: spfPass ? [spf.mailFrom.domain!] : [],
    dkimDomains: passing.map((r) => ({
      ...(r.id ? { id: r.id } : {}),
      domain: r.signingDomain!,
      aligned: r.status.aligned ?? false,
      ...(r.status.underSized ? { underSized: r.status.underSized } : {}),
    })),
    ...(arcResult ? { arcResult } : {}),
    resolver: lookup,
  });

  const infos = [
    ...(dkimEntries.length > 0 ? dkimEntries.map((e) => e.info) : ["dkim=none (message not signed)"]),
    ...(spf.mailFrom.info ? [spf.mailFrom.info] : []),
    ...(spf.helo?.info ? [spf.helo.info] : []),
    arcInfo,
    ...(dmarc ? [dmarc.info] : []),
  ];
  return {
    dkim: dkimEntries.map(({ info: _info, ...rest }) => rest),
    arc: { result: screened.arcRefused ? "fail" : (arcResult?.status.result ?? "none") },
    dmarc,
    infos,
    reportLike: screened.reportLike,
  };
}
