/**
 * The inbound checks of mail received on port 25 from clients that did not authenticate: SPF
 * (started at MAIL FROM), then at the end of DATA the removal of forged Authentication-Results (RFC
 * 8601 §5), DKIM, ARC and DMARC, the policy verdict, and the one Authentication-Results field that
 * goes on top of the message. All of it runs before the store's write: the group commit never
 * waits for DNS. Also recognises aggregate reports (DMARC, TLS-RPT) sent to our domains.
 *
 * Mail from authenticated clients (submission, or AUTH on port 25) is never checked: the hooks do
 * not call in here for it, so mail between local accounts is never DMARC-refused.
 */
import type { SMTPServerEnvelope, SMTPServerSession } from "smtp-server";
import type { DnsResolver } from "../../dns/mod.ts";
import type { Logger } from "../../log.ts";
import {
  contentAuthenticationSet,
  type DmarcResultInput,
  dmarcResultAdd,
  domainFind,
  type IngestTarget,
  type Message,
  mailboxJunk,
  type ReceivedReportInput,
  receivedReportAdd,
  type Store,
  type Write,
} from "../../store/mod.ts";
import { receivedReport } from "../reports/received.ts";
import { stripOwnResults } from "./forged-results.ts";
import { authenticationResultsField } from "./header.ts";
import { AUTH_LIMITS } from "./limits.ts";
import { dmarcObservation } from "./observation.ts";
import { appliedPolicy, decide } from "./policy.ts";
import { AuthResolver } from "./resolver.ts";
import { checkSpf, type SpfIdentity, type SpfOutcome } from "./spf.ts";
import type { AuthenticationResults } from "./types.ts";
import { verifyMessage } from "./verify.ts";

export interface InboundAuthOptions {
  dns: DnsResolver;
  store: Store;
  log: Logger;
  /** Our host name: the authserv-id (RFC 8601 §2.5). */
  hostname: string;
  /** MAILROOM_SPF_REJECT: refuse SPF fail when the author domain has no DMARC record. */
  spfReject: boolean;
  /** AUTH_LIMITS.deadlineMs; tests shorten it. */
  deadlineMs?: number;
  /** pct= sampling, a number in [0, 100); Math.random()*100 when absent. */
  sample?: () => number;
  now?: () => number;
  /** The failure memo's lifetime (AUTH_LIMITS.failureMemoMs); tests shorten it. */
  failureMemoMs?: number;
}

/** What DATA needs from the checks of one message that is to be delivered. */
export interface InboundChecked {
  /** The message without forged Authentication-Results: what is stored and relayed. */
  body: Buffer;
  /** Our Authentication-Results field, to go on top of the message (CRLF-terminated). */
  field: string;
  results: AuthenticationResults;
  /** DMARC quarantine: delivered into Junk with $Junk. */
  junk: boolean;
  /**
   * Where each account's copy goes: INBOX, or Junk (created when missing) when `junk` (by default
   * this verdict's; the spam check may add its own). Runs inside the write.
   */
  targets(w: Write, accountIds: readonly number[], junk?: boolean): Promise<IngestTarget[]>;
  /** Records the results with the stored message (and the DMARC counter, a report received). */
  persist(w: Write, stored: readonly Message[]): Promise<void>;
}

/** RFC 5788 / RFC 9051 §2.3.2: the keyword of junk mail. */
export const JUNK_KEYWORD = "$Junk";

export class InboundAuth {
  readonly #options: InboundAuthOptions;
  readonly #resolver: AuthResolver;
  readonly #deadlineMs: number;
  readonly #now: () => number;
  readonly #spf = new WeakMap<SMTPServerEnvelope, Promise<SpfOutcome>>();
  readonly #running = new WeakMap<SMTPServerSession, number>();
  /**
   * SPF results within a session, by everything they depend on: a client sending 100 messages from
   * one sender over one connection is evaluated once (the DNS answers would be the same).
   */
  readonly #sessionSpf = new WeakMap<
    SMTPServerSession,
    Map<string, { result: Promise<SpfIdentity>; until: number }>
  >();

  constructor(options: InboundAuthOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#deadlineMs = options.deadlineMs ?? AUTH_LIMITS.deadlineMs;
    this.#resolver = new AuthResolver(options.dns, {
      now: this.#now,
      ...(options.failureMemoMs !== undefined ? { memoMs: options.failureMemoMs } : {}),
    });
    // Our own name's TXT: a question the resolver can answer, asked before any mail arrives.
    this.#resolver.probe(options.hostname);
  }

  /**
   * MAIL FROM: starts SPF while the client goes on (RFC 7208 §2.4). A session already running
   * AUTH_LIMITS.spfPerSession checks (MAIL/RSET in a loop) gets its check started at DATA instead.
   */
  startSpf(session: SMTPServerSession, mailFrom: string): void {
    if ((this.#running.get(session) ?? 0) >= AUTH_LIMITS.spfPerSession) return;
    this.#spf.set(session.envelope, this.#startSpf(session, mailFrom));
  }

  #startSpf(session: SMTPServerSession, mailFrom: string): Promise<SpfOutcome> {
    this.#running.set(session, (this.#running.get(session) ?? 0) + 1);
    return checkSpf(
      {
        ip: session.remoteAddress,
        mailFrom,
        helo: session.hostNameAppearsAs || "",
        hostname: this.#options.hostname,
        lookup: this.#resolver.forCheck(this.#now() + this.#deadlineMs),
        maxElapsedMs: this.#deadlineMs,
      },
      (key, run) => this.#memo(session, key, run),
    ).finally(() => this.#running.set(session, Math.max(0, (this.#running.get(session) ?? 1) - 1)));
  }

  #memo(session: SMTPServerSession, key: string, run: () => Promise<SpfIdentity>): Promise<SpfIdentity> {
    let memo = this.#sessionSpf.get(session);
    if (!memo) {
      memo = new Map();
      this.#sessionSpf.set(session, memo);
    }
    const known = memo.get(key);
    if (known && known.until > this.#now()) return known.result;
    const entry = { result: run(), until: Number.POSITIVE_INFINITY };
    // A final answer is kept for the session; a failure for now only as long as the resolver's
    // failures are remembered anyway (asking again sooner would get the same answer from there).
    entry.result.then((outcome) => {
      if (outcome.result === "temperror") entry.until = this.#now() + AUTH_LIMITS.failureMemoMs;
    });
    // Bounded: a session naming many senders keeps the latest few.
    memo.delete(key);
    if (memo.size >= AUTH_LIMITS.spfMemoPerSession) memo.delete(memo.keys().next().value!);
    memo.set(key, entry);
    return entry.result;
  }

  /**
   * The end of DATA: every check, and the verdict. Refusals (550 5.7.1 DMARC reject, 550 5.7.23 SPF
   * with MAILROOM_SPF_REJECT, 451 4.7.0 on a temporary DNS failure that decides) are thrown as the
   * SmtpReply to send; nothing is stored for them.
   * `enforce: false` (issue 16, test mail: catch mode, a namespace's recipients): every check runs
   * and its results are recorded as usual (the field, the REST view, with the disposition a real
   * receiver would apply), but the message is neither refused, deferred nor put in Junk, and it is
   * not counted for the DMARC aggregate reports (it is no real traffic of that domain).
   */
  async check(
    session: SMTPServerSession,
    received: Buffer,
    options: { enforce?: boolean } = {},
  ): Promise<InboundChecked> {
    const enforce = options.enforce ?? true;
    const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
    const spfCheck = this.#spf.get(session.envelope) ?? this.#startSpf(session, mailFrom);
    const { body, removed } = stripOwnResults(received, this.#options.hostname);
    const now = this.#now();
    // DKIM and ARC run while SPF may still be finishing; DMARC waits for both.
    const verified = await verifyMessage({
      body,
      spf: spfCheck,
      ip: session.remoteAddress,
      resolver: this.#resolver,
      deadlineAt: now + this.#deadlineMs,
    });
    const spf = await spfCheck;
    const sample = (this.#options.sample ?? (() => Math.random() * 100))();
    const { verdict, dmarc } = decide({
      spf,
      dkim: verified.dkim,
      dmarc: verified.dmarc,
      spfReject: this.#options.spfReject,
      sample,
    });
    const results: AuthenticationResults = {
      spf: { result: spf.mailFrom.result, domain: spf.mailFrom.domain },
      helo: spf.helo ? { result: spf.helo.result, domain: spf.helo.domain } : null,
      dkim: verified.dkim,
      dmarc,
      arc: verified.arc,
    };
    const sampledOut =
      verified.dmarc !== false &&
      verified.dmarc.status.result === "fail" &&
      appliedPolicy(verified.dmarc, sample) !== verified.dmarc.policy;
    const observation = dmarcObservation({
      day: new Date(now).toISOString().slice(0, 10),
      sourceIp: session.remoteAddress,
      spf,
      dkim: verified.dkim,
      dmarc: verified.dmarc,
      disposition: dmarc?.disposition ?? "none",
      reason: sampledOut ? "sampled_out" : "",
    });
    const log = {
      session: session.id,
      client: session.remoteAddress,
      from: mailFrom,
      spf: results.spf.result,
      dkim: results.dkim.map((d) => `${d.domain}:${d.result}`),
      dmarc: dmarc ? `${dmarc.domain}:${dmarc.result}` : null,
      arc: results.arc.result,
      forgedResultsRemoved: removed,
    };
    if (verdict.action === "refuse" && !enforce) {
      this.#options.log.info("smtp.auth_not_enforced", { ...log, why: verdict.why });
    } else if (verdict.action === "refuse") {
      this.#options.log.warn("smtp.auth_refused", { ...log, why: verdict.why, reply: verdict.reply.message });
      // A rejected message still counts in the domain's aggregate report (disposition reject); a
      // deferred one does not, it will be back.
      if (observation && observation.disposition === "reject") await this.#count(observation);
      throw verdict.reply;
    } else this.#options.log.debug("smtp.auth", log);
    const report = verified.reportLike ? await this.#report(body, now) : undefined;
    const field = authenticationResultsField(this.#options.hostname, verified.infos, {
      utf8: session.envelope.smtpUtf8 === true,
    });
    const junk = enforce && verdict.action === "deliver" && verdict.junk;
    const counted = enforce ? observation : undefined;
    return {
      body,
      field,
      results,
      junk,
      targets: (w, accountIds, junkToo = junk) => targetsFor(w, accountIds, junkToo),
      async persist(w, stored) {
        if (stored[0]) await contentAuthenticationSet(w, stored[0].contentId, results);
        if (counted) await dmarcResultAdd(w, counted);
        if (report) await receivedReportAdd(w, report);
      },
    };
  }

  async #count(observation: DmarcResultInput): Promise<void> {
    try {
      await this.#options.store.write((w) => dmarcResultAdd(w, observation));
    } catch (error) {
      this.#options.log.error("dmarc.count_failed", { error });
    }
  }

  /** An aggregate report about one of our domains, parsed; anything else is just mail. */
  async #report(body: Buffer, now: number): Promise<ReceivedReportInput | undefined> {
    const found = receivedReport(body, now, { lookedAt: true });
    if (!found) return undefined;
    if ("error" in found) {
      this.#options.log.info("report.unreadable", { error: found.error });
      return undefined;
    }
    const domain = found.report.policyDomain;
    if (!(await domainFind(this.#options.store.read, domain))) {
      this.#options.log.info("report.not_ours", { kind: found.report.kind, domain });
      return undefined;
    }
    this.#options.log.info("report.received", {
      kind: found.report.kind,
      domain,
      org: found.report.orgName,
      id: found.report.reportId,
    });
    return found.report;
  }
}

async function targetsFor(w: Write, accountIds: readonly number[], junk: boolean): Promise<IngestTarget[]> {
  const targets: IngestTarget[] = [];
  for (const accountId of accountIds) {
    if (!junk) {
      targets.push({ accountId, mailboxName: "INBOX" });
      continue;
    }
    // An account at its mailbox limit without a Junk mailbox: INBOX, still marked $Junk.
    const mailboxId = await mailboxJunk(w, accountId);
    targets.push(
      mailboxId === undefined
        ? { accountId, mailboxName: "INBOX", keywords: [JUNK_KEYWORD] }
        : { accountId, mailboxId, keywords: [JUNK_KEYWORD] },
    );
  }
  return targets;
}
