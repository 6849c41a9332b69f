/**
 * The vocabulary of the inbound defence: what a spam check concludes (a verdict), the signals it is
 * made of, and the mail-authentication results it takes as input (from src/auth's inbound checks,
 * issue 11; absent until they are wired, and then the built-in score simply lacks them).
 */

/**
 * rspamd's actions (rspamd.com/doc/faq.html, "what are rspamd actions"), which the built-in score
 * uses too: one vocabulary in headers, logs and the REST view.
 */
export type SpamAction =
  | "no action"
  | "greylist"
  | "add header"
  | "rewrite subject"
  | "soft reject"
  | "reject";

export const SPAM_ACTIONS: readonly SpamAction[] = [
  "no action",
  "greylist",
  "add header",
  "rewrite subject",
  "soft reject",
  "reject",
];

/** One reason in a verdict: a name (rspamd's symbol, or ours), the points it added, and what it saw. */
export interface SpamSymbol {
  name: string;
  score: number;
  /** e.g. the zone that listed the client, or the HELO name; shown in brackets in X-Spam-Symbols. */
  detail?: string;
}

/** Header changes rspamd asks for (its reply's "milter" block, rspamd's milter_headers module). */
export interface MilterChanges {
  /** Headers to add, in order: [name, value]. */
  add: Array<[string, string]>;
  /** Headers to remove: [name, which], which 0 = every occurrence, n = the n-th, -n = n-th from the end. */
  remove: Array<[string, number]>;
}

export interface SpamVerdict {
  /** Who decided: rspamd, or the built-in score (rspamd off, or unavailable with MAILROOM_RSPAMD_FAIL=open). */
  checker: "rspamd" | "builtin";
  action: SpamAction;
  score: number;
  /** The score from which the message would have been refused (rspamd's required_score, or ours). */
  required: number;
  symbols: SpamSymbol[];
  /** rspamd's "rewrite subject" action: the new Subject. */
  subject?: string;
  milter?: MilterChanges;
  /** rspamd's message for the client on reject / soft reject (its "smtp_message"), if any. */
  message?: string;
}

/** Where a verdict sends the message. */
export type Disposition = "inbox" | "junk" | "reject" | "defer";

export function dispositionOf(action: SpamAction): Disposition {
  switch (action) {
    case "reject":
      return "reject";
    case "soft reject":
    case "greylist":
      return "defer";
    case "add header":
    case "rewrite subject":
      return "junk";
    case "no action":
      return "inbox";
  }
}

/** One authentication method's outcome, as RFC 8601 §2.7 names results ("pass", "fail", "softfail", ...). */
export interface AuthOutcome {
  result: string;
  /** The domain it is about (SPF: the MAIL FROM or HELO domain; DKIM: d=; DMARC: the From domain). */
  domain?: string;
}

/**
 * The inbound authentication results a verdict may take into account (issue 11). Each is absent
 * when not checked; `undefined` as a whole means no checks ran.
 */
export interface AuthResults {
  spf?: AuthOutcome;
  dkim?: AuthOutcome[];
  dmarc?: AuthOutcome & { policy?: string };
}

/** Whether a message authenticated as its From domain: DMARC pass, by an aligned SPF or DKIM pass. */
export function dmarcPassed(auth: AuthResults | undefined): boolean {
  return auth?.dmarc?.result.toLowerCase() === "pass";
}
