/**
 * The database schema: the source of truth for `migrations/` (drizzle-kit generates them from this
 * file; generated migrations are reviewed and never edited after they land).
 *
 * Layout choices that readers depend on:
 * - Raw bytes live in `blobs`, apart from the parsed metadata in `contents`, so listing a mailbox never
 *   pages through message bodies (SQLite walks a row's overflow pages to reach later columns).
 * - A message row is one copy of a content in one mailbox; recipients of one delivery share a content.
 * - `mailboxes` carries UIDNEXT and HIGHESTMODSEQ so a delivery never runs `max(uid)` (see FACTS.md).
 * - Subscriptions are names, not mailboxes (RFC 3501 §6.3.6): they live in their own table and
 *   outlive the mailbox they name.
 */
import { sql } from "drizzle-orm";
import { blob, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const now = sql`(unixepoch('subsec') * 1000)`;

/** Small key/value facts about the database itself (e.g. the UIDVALIDITY sequence). */
export const meta = sqliteTable("meta", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});

export const domains = sqliteTable("domains", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull().unique(),
  createdAt: integer("created_at").notNull().default(now),
  /**
   * How the domain came to be: "admin" (the API, the primary domain), "catch" (created by the first
   * message to it in catch mode) or "namespace" (a throwaway namespace: any recipient is accepted
   * and the domain goes, with all its mail, at `expires_at`). Only "admin" domains get DKIM keys.
   */
  origin: text("origin").notNull().default("admin"),
  /** Epoch ms when a namespace expires; null for every other domain. */
  expiresAt: integer("expires_at"),
});

export const accounts = sqliteTable(
  "accounts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    address: text("address").notNull().unique(),
    domainId: integer("domain_id")
      .notNull()
      .references(() => domains.id),
    passwordHash: text("password_hash").notNull(),
    /** Bytes; null means unlimited. */
    quota: integer("quota"),
    /** Messages in all the account's mailboxes (IMAP QUOTA's MESSAGE resource, RFC 9208 §5.2); null means unlimited. */
    quotaMessages: integer("quota_messages"),
    /** Sum of the sizes of the account's messages, kept in step by every add and expunge. */
    usedBytes: integer("used_bytes").notNull().default(0),
    disabled: integer("disabled", { mode: "boolean" }).notNull().default(false),
    createdAt: integer("created_at").notNull().default(now),
    updatedAt: integer("updated_at").notNull().default(now),
  },
  (t) => [index("accounts_domain").on(t.domainId)],
);

export const aliases = sqliteTable(
  "aliases",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    address: text("address").notNull().unique(),
    domainId: integer("domain_id")
      .notNull()
      .references(() => domains.id),
    createdAt: integer("created_at").notNull().default(now),
  },
  (t) => [index("aliases_domain").on(t.domainId)],
);

/** An alias expands to one or more accounts. */
export const aliasTargets = sqliteTable(
  "alias_targets",
  {
    aliasId: integer("alias_id")
      .notNull()
      .references(() => aliases.id, { onDelete: "cascade" }),
    accountId: integer("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.aliasId, t.accountId] }), index("alias_targets_account").on(t.accountId)],
);

export const mailboxes = sqliteTable(
  "mailboxes",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    accountId: integer("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    /** Full Unicode name with "/" as hierarchy separator; "INBOX" is always spelled so. */
    name: text("name").notNull(),
    /** RFC 6154 attribute such as "\\Sent", or null. */
    specialUse: text("special_use"),
    uidValidity: integer("uid_validity").notNull(),
    uidNext: integer("uid_next").notNull().default(1),
    highestModseq: integer("highest_modseq").notNull().default(1),
    /**
     * The highest UID some IMAP session has already taken as \Recent (RFC 3501 §2.3.2): messages
     * above it are recent for the next session to SELECT the mailbox. Kept in step by store/recent.ts.
     */
    recentUid: integer("recent_uid").notNull().default(0),
    /**
     * Every keyword ever set on a message here, as a JSON array in the order first used: what SELECT
     * lists in FLAGS and PERMANENTFLAGS (RFC 3501 §7.2.6). Bounded by MAX_KEYWORDS_PER_MAILBOX.
     */
    keywords: text("keywords").notNull().default("[]"),
    createdAt: integer("created_at").notNull().default(now),
    /**
     * The highest MODSEQ of the expunged rows pruned so far (0: none). A QRESYNC client whose state
     * is older than this gets every UID that is not in the mailbox as VANISHED (RFC 7162 §3.2.5.2).
     */
    expungedFloor: integer("expunged_floor").notNull().default(0),
  },
  (t) => [uniqueIndex("mailboxes_account_name").on(t.accountId, t.name)],
);

/**
 * The names an account subscribed to (RFC 3501 §6.3.6): names, not mailboxes, so DELETE leaves them
 * and LSUB / LIST (SUBSCRIBED) go on showing them (as \NonExistent, RFC 5258 §3) until UNSUBSCRIBE.
 * Names are stored as mailboxNameNormalize() spells them (INBOX canonical).
 */
export const subscriptions = sqliteTable(
  "subscriptions",
  {
    accountId: integer("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.name] })],
);

/**
 * IMAP METADATA annotations (RFC 5464): entries on the server as a whole for one account
 * (`mailboxId` 0) or on one of its mailboxes. Keyed by the mailbox's id, so RENAME keeps them and
 * DELETE (store/metadata.ts metadataDeleteMailbox) removes them; a new mailbox of the same name
 * starts with none. Names are stored lower-case (entry names are case-insensitive, §3.2).
 */
export const metadata = sqliteTable(
  "metadata",
  {
    accountId: integer("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    /** 0 for a server annotation (mailbox ""), else the mailbox's id. */
    mailboxId: integer("mailbox_id").notNull(),
    /** "/private/..." or "/shared/...", lower-case. */
    name: text("name").notNull(),
    value: blob("value", { mode: "buffer" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.mailboxId, t.name] })],
);

/** Parsed, reader-ready metadata of one stored message content (shared by all its recipients). */
export const contents = sqliteTable(
  "contents",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    size: integer("size").notNull(),
    /** Byte offset where the body starts (after the header's blank line). */
    headerEnd: integer("header_end").notNull(),
    /** IMAP ENVELOPE fields (src/mime Envelope) as compact JSON (content-codec.ts). */
    envelope: text("envelope").notNull(),
    /** MIME tree with byte offsets and line counts (src/mime MimePart) as compact JSON (content-codec.ts). */
    structure: text("structure").notNull(),
    subject: text("subject").notNull().default(""),
    fromText: text("from_text").notNull().default(""),
    toText: text("to_text").notNull().default(""),
    /** Date header as epoch ms (for SENTBEFORE etc.), null when missing or unparseable. */
    sentAt: integer("sent_at"),
    /**
     * The Date header's calendar day in its own time zone, as days since 1970-01-01 (SENTON and
     * friends, RFC 3501 §6.4.4); null when missing or unparseable, and for contents stored before
     * this column existed (SEARCH then reads the Date from the envelope).
     */
    sentDay: integer("sent_day"),
    preview: text("preview").notNull().default(""),
    /**
     * Lower-cased decoded body text, for SEARCH and the REST `q` filter; "" when it is lower(preview)
     * (contents.ts searchTextSql() reads it). The header lines' search text is not stored: SEARCH
     * derives it from the header bytes (issue 12, search.ts).
     */
    searchText: text("search_text").notNull().default(""),
    hasAttachments: integer("has_attachments", { mode: "boolean" }).notNull().default(false),
    /**
     * What the inbound checks found (SPF, DKIM, DMARC, ARC) as JSON, for mail received on port 25
     * without AUTH; null for everything else (submission, APPEND, imports, bounces).
     */
    authentication: text("authentication"),
    createdAt: integer("created_at").notNull().default(now),
    /**
     * What SORT and THREAD compare (RFC 5256, RFC 5957; src/mime sort-keys.ts), casefolded where
     * compared; the string keys are in table sort_keys. `sortVersion` 0 marks a content stored before these existed: the store derives them
     * at startup (sort-keys-backfill.ts) and SORT/THREAD wait for that.
     */
    sortVersion: integer("sort_version").notNull().default(0),
    isReply: integer("is_reply", { mode: "boolean" }).notNull().default(false),
    /** The Message-ID ("" if none valid) and the references chain, space-separated (RFC 5256 §3). */
    messageId: text("message_id").notNull().default(""),
    refs: text("refs").notNull().default(""),
  },
  (t) => [index("contents_message_id").on(t.messageId)],
);

/**
 * What SORT compares for a content's string keys (RFC 5256 §3, RFC 5957; src/mime sort-keys.ts),
 * casefolded: a narrow table of its own, read in content order by the SORT join, in place of a
 * covering index over these columns of contents, which stored them twice (issue 12).
 */
export const sortKeys = sqliteTable("sort_keys", {
  contentId: integer("content_id")
    .primaryKey()
    .references(() => contents.id, { onDelete: "cascade" }),
  baseSubject: text("base_subject").notNull().default(""),
  sortFrom: text("sort_from").notNull().default(""),
  sortTo: text("sort_to").notNull().default(""),
  sortCc: text("sort_cc").notNull().default(""),
  displayFrom: text("display_from").notNull().default(""),
  displayTo: text("display_to").notNull().default(""),
});

/** The exact stored bytes of a content (received bytes plus the trace headers we prepend). */
export const blobs = sqliteTable("blobs", {
  contentId: integer("content_id")
    .primaryKey()
    .references(() => contents.id, { onDelete: "cascade" }),
  data: blob("data", { mode: "buffer" }).notNull(),
});

export const messages = sqliteTable(
  "messages",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    accountId: integer("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    mailboxId: integer("mailbox_id")
      .notNull()
      .references(() => mailboxes.id, { onDelete: "cascade" }),
    uid: integer("uid").notNull(),
    modseq: integer("modseq").notNull(),
    contentId: integer("content_id")
      .notNull()
      .references(() => contents.id),
    /** System flags as a bit set (see store/flags.ts), so unseen counts use an index. */
    flags: integer("flags").notNull().default(0),
    /** User keywords as a JSON array of strings. */
    keywords: text("keywords").notNull().default("[]"),
    internalDate: integer("internal_date").notNull(),
    size: integer("size").notNull(),
    /**
     * When the message was saved into this mailbox (epoch ms; RFC 8514 §3): set by every ingest,
     * copy and move, never copied from a source. Null for messages stored before it was kept.
     */
    saveDate: integer("save_date"),
    /**
     * RFC 8474 THREADID: the thread this message joined at delivery, found through its references
     * within the account (message-ingest.ts); copied by COPY and MOVE. Null for messages stored
     * before it was kept: THREADID then falls back to the content id (a thread of its own).
     */
    threadId: integer("thread_id"),
    /**
     * RFC 5256 §2.2 SORT DATE: the content's sent date (contents.sent_at), or the internal date
     * without one, copied here at ingest so that SORT (DATE) orders a mailbox without joining its
     * contents (100k random content lookups cost ~0.4 s; the message rows alone ~0.06 s).
     */
    sortDate: integer("sort_date").notNull().default(0),
  },
  (t) => [
    uniqueIndex("messages_mailbox_uid").on(t.mailboxId, t.uid),
    index("messages_mailbox_modseq").on(t.mailboxId, t.modseq),
    index("messages_mailbox_flags").on(t.mailboxId, t.flags),
    index("messages_content").on(t.contentId),
    index("messages_account").on(t.accountId),
    // SORT (DATE): the mailbox's messages in sort order straight from the index, no sort step.
    index("messages_mailbox_sort_date").on(t.mailboxId, t.sortDate, t.uid),
  ],
);

/**
 * What `mailroom import` has stored, one row per source message (a Maildir file's unique name, an
 * IMAP folder's UIDVALIDITY and UID, an mbox message's digest): written in the same transaction as the
 * message, so a re-run skips what is there and an interrupted run resumes where it stopped.
 */
export const imported = sqliteTable(
  "imported",
  {
    accountId: integer("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    sourceKey: text("source_key").notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.sourceKey] })],
);

/** UIDs removed from a mailbox with the MODSEQ of the removal, for QRESYNC's VANISHED (RFC 7162 §3.2.10). */
export const expunged = sqliteTable(
  "expunged",
  {
    mailboxId: integer("mailbox_id")
      .notNull()
      .references(() => mailboxes.id, { onDelete: "cascade" }),
    uid: integer("uid").notNull(),
    modseq: integer("modseq").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.mailboxId, t.uid] }),
    index("expunged_mailbox_modseq").on(t.mailboxId, t.modseq),
  ],
);

/**
 * The outgoing delivery queue: one row per (message, remote recipient), so each recipient is retried,
 * delivered or bounced on its own. The bytes stay in contents/blobs (shared with local copies) until
 * the last row and message referring to them are gone. A delivered recipient's row is deleted in the
 * same commit that records the success, so it is not delivered again after a restart.
 */
export const queue = sqliteTable(
  "queue",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    contentId: integer("content_id")
      .notNull()
      .references(() => contents.id),
    /** Envelope sender; "" for the null reverse-path (bounces: never bounced again). */
    sender: text("sender").notNull(),
    recipient: text("recipient").notNull(),
    /** Lower-case domain of the recipient: deliveries are grouped by it. */
    domain: text("domain").notNull(),
    /** RFC 3461 DSN parameters given at submission. */
    notify: text("notify"),
    orcpt: text("orcpt"),
    ret: text("ret"),
    envid: text("envid"),
    /** RFC 8689 REQUIRETLS was given on MAIL FROM: only verified TLS to a REQUIRETLS server, or a bounce. */
    requireTls: integer("require_tls", { mode: "boolean" }).notNull().default(false),
    /** RFC 6531 SMTPUTF8 was given on MAIL FROM: a peer without it cannot take the message (5.6.7). */
    smtpUtf8: integer("smtp_utf8", { mode: "boolean" }).notNull().default(false),
    /** RFC 3464 "delayed" notice already sent for this recipient: at most one per recipient. */
    delayNotified: integer("delay_notified", { mode: "boolean" }).notNull().default(false),
    /** The account that submitted it (null for mail relayed on behalf of a bounce). */
    accountId: integer("account_id"),
    /** "queued" (never tried or due), "deferred" (a temporary failure, waiting for next_attempt_at). */
    status: text("status").notNull().default("queued"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at").notNull(),
    lastError: text("last_error"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("queue_due").on(t.nextAttemptAt),
    index("queue_content").on(t.contentId),
    index("queue_domain").on(t.domain),
  ],
);

/**
 * MTA-STS policies (RFC 8461 §5.1) by recipient domain, as last fetched: used until `expires_at`
 * (fetch time + max_age) and refetched when the `_mta-sts` TXT record names another id.
 */
export const mtaStsPolicies = sqliteTable("mta_sts_policies", {
  domain: text("domain").primaryKey(),
  /** The TXT record's id= when the policy was fetched. */
  policyId: text("policy_id").notNull(),
  mode: text("mode").notNull(),
  /** The mx patterns as a JSON array of strings. */
  mx: text("mx").notNull(),
  maxAge: integer("max_age").notNull(),
  /** The policy text as served (for TLS-RPT's policy-string, RFC 8460 §4.3.1). */
  policyText: text("policy_text").notNull(),
  fetchedAt: integer("fetched_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
});

/**
 * Outbound TLS results for TLS-RPT (RFC 8460 §4): one row per day, policy domain, policy and outcome,
 * counting sessions. `result` is "success" or a result type of §4.3.
 */
export const tlsResults = sqliteTable(
  "tls_results",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** UTC day, "YYYY-MM-DD" (the report's date-range, RFC 8460 §4.4). */
    day: text("day").notNull(),
    policyDomain: text("policy_domain").notNull(),
    /** "sts", "tlsa" or "no-policy-found" (RFC 8460 §4.3.1). */
    policyType: text("policy_type").notNull(),
    /** The policy's strings as a JSON array (STS policy lines or TLSA records). */
    policyStrings: text("policy_strings").notNull().default("[]"),
    /** The MX host we tried ("" when the failure came before any host, e.g. a policy fetch). */
    mxHost: text("mx_host").notNull().default(""),
    receivingIp: text("receiving_ip").notNull().default(""),
    result: text("result").notNull(),
    /** Free text explaining a failure (RFC 8460 §4.3 failure-reason-code). */
    reason: text("reason").notNull().default(""),
    count: integer("count").notNull().default(0),
  },
  (t) => [
    uniqueIndex("tls_results_key").on(
      t.day,
      t.policyDomain,
      t.policyType,
      t.policyStrings,
      t.mxHost,
      t.receivingIp,
      t.result,
      t.reason,
    ),
  ],
);

/** Which daily TLS reports went out, so a restart does not send one twice. */
export const tlsReportsSent = sqliteTable(
  "tls_reports_sent",
  {
    day: text("day").notNull(),
    policyDomain: text("policy_domain").notNull(),
    sentAt: integer("sent_at").notNull(),
    /** Where it went: JSON array of rua URIs with what became of each. */
    destinations: text("destinations").notNull().default("[]"),
  },
  (t) => [primaryKey({ columns: [t.day, t.policyDomain] })],
);

/**
 * DKIM signing keys of the local domains (RFC 6376, RFC 8463): each generation is one RSA and one
 * Ed25519 key, each under its own selector. "active" keys sign; "retiring" ones no longer sign but
 * stay published until `retire_at` (mail signed with them may still be in transit or queued);
 * "retired" ones are gone from DNS and their private key is erased. The private key never leaves the
 * store except to the signer.
 */
export const dkimKeys = sqliteTable(
  "dkim_keys",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    domainId: integer("domain_id")
      .notNull()
      .references(() => domains.id, { onDelete: "cascade" }),
    /** The s= tag and the DNS label under _domainkey (RFC 6376 §3.1). */
    selector: text("selector").notNull(),
    /** "rsa-sha256" or "ed25519-sha256" (the a= tag, RFC 6376 §3.3, RFC 8463 §3). */
    algorithm: text("algorithm").notNull(),
    /** PKCS#8 PEM; "" once retired. */
    privateKey: text("private_key").notNull(),
    /** The p= value of the key record: base64 SubjectPublicKeyInfo (RSA) or raw 32 bytes (Ed25519). */
    publicKey: text("public_key").notNull(),
    /** "active", "retiring" or "retired". */
    state: text("state").notNull().default("active"),
    createdAt: integer("created_at").notNull().default(now),
    /** When a retiring key is retired (epoch ms); null while active. */
    retireAt: integer("retire_at"),
  },
  (t) => [uniqueIndex("dkim_keys_domain_selector").on(t.domainId, t.selector)],
);

/**
 * Greylisting (RFC 6647): one row per triplet of client network (/24 or /64), envelope sender and
 * recipient. A triplet seen for the first time is deferred; a retry after the delay passes it and
 * sets `passed_at`, after which the sender is let through from that network without delay. Rows
 * not seen for the memory period (36 days) are removed.
 */
export const greylist = sqliteTable(
  "greylist",
  {
    clientNet: text("client_net").notNull(),
    /** The envelope sender, lower-cased ("" for the null sender). */
    sender: text("sender").notNull(),
    recipient: text("recipient").notNull(),
    firstSeen: integer("first_seen").notNull(),
    lastSeen: integer("last_seen").notNull(),
    /** When a retry first came after the delay (epoch ms); null while still deferred. */
    passedAt: integer("passed_at"),
  },
  (t) => [
    primaryKey({ columns: [t.clientNet, t.sender, t.recipient] }),
    index("greylist_last_seen").on(t.lastSeen),
  ],
);

/**
 * Spam filter training the owners of messages asked for (moving mail into or out of Junk, $Junk and
 * $NotJunk), queued in the same transaction as the move and sent to rspamd later by a worker
 * (src/spam/learner.ts), so an IMAP command never waits for the filter.
 */
export const spamLearns = sqliteTable(
  "spam_learns",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    accountId: integer("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    /** The message's content; gone (expunged) before it was sent means the job is dropped. */
    contentId: integer("content_id").notNull(),
    /** "spam" or "ham". */
    kind: text("kind").notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at").notNull(),
    createdAt: integer("created_at").notNull().default(now),
    lastError: text("last_error"),
  },
  (t) => [index("spam_learns_due").on(t.nextAttemptAt)],
);

/**
 * ACME accounts (RFC 8555 §7.3), one per directory URL: the account key signs every request to that
 * certificate authority, and the account URL is the `kid` of those requests. The key never leaves
 * the store except to the ACME client.
 */
export const acmeAccounts = sqliteTable("acme_accounts", {
  directory: text("directory").primaryKey(),
  /** PKCS#8 PEM of the account key (ECDSA P-256 for ES256, or RSA for RS256). */
  privateKey: text("private_key").notNull(),
  /** The account URL the server gave (Location of newAccount). */
  url: text("url").notNull(),
  contact: text("contact"),
  createdAt: integer("created_at").notNull().default(now),
});

/**
 * Certificates issued over ACME: the chain and its key, the names it covers, its validity. The
 * newest row is the one served; an older one is kept only until a newer one is stored.
 */
export const acmeCertificates = sqliteTable("acme_certificates", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  directory: text("directory").notNull(),
  /** The DNS names of the certificate, sorted, comma-separated. */
  names: text("names").notNull(),
  /** PEM chain as the CA sent it: the leaf first. */
  chain: text("chain").notNull(),
  /** PKCS#8 PEM of the certificate's key. */
  privateKey: text("private_key").notNull(),
  /** Epoch ms. */
  notBefore: integer("not_before").notNull(),
  notAfter: integer("not_after").notNull(),
  createdAt: integer("created_at").notNull().default(now),
});

/**
 * DMARC results of received mail for the aggregate reports (RFC 7489 §7.2): one row per UTC day,
 * policy domain and distinct outcome, counting messages. Only domains whose record asks for
 * reports (rua=) are counted.
 */
export const dmarcResults = sqliteTable(
  "dmarc_results",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** UTC day, "YYYY-MM-DD" (the report's date_range). */
    day: text("day").notNull(),
    /** The domain whose DMARC record applied (RFC 9989 §3.2.5). */
    policyDomain: text("policy_domain").notNull(),
    sourceIp: text("source_ip").notNull(),
    headerFrom: text("header_from").notNull(),
    envelopeFrom: text("envelope_from").notNull().default(""),
    /** none, quarantine or reject: what was done with the messages. */
    disposition: text("disposition").notNull(),
    /** The DMARC-aligned verdicts, "pass" or "fail" (policy_evaluated). */
    dkimAligned: text("dkim_aligned").notNull(),
    spfAligned: text("spf_aligned").notNull(),
    /** PolicyOverrideType when the disposition differs from the policy (e.g. sampled_out), or "". */
    reason: text("reason").notNull().default(""),
    /** auth_results as JSON: {dkim: [{domain, selector, result}], spf: {domain, scope, result}}. */
    authResults: text("auth_results").notNull(),
    /** policy_published of the latest message counted, as JSON. */
    published: text("published").notNull(),
    /** The record's rua= URIs as a JSON array (latest message counted). */
    rua: text("rua").notNull().default("[]"),
    count: integer("count").notNull().default(0),
  },
  (t) => [
    uniqueIndex("dmarc_results_key").on(
      t.day,
      t.policyDomain,
      t.sourceIp,
      t.headerFrom,
      t.envelopeFrom,
      t.disposition,
      t.dkimAligned,
      t.spfAligned,
      t.reason,
      t.authResults,
    ),
  ],
);

/** Which daily DMARC aggregate reports went out, so a restart does not send one twice. */
export const dmarcReportsSent = sqliteTable(
  "dmarc_reports_sent",
  {
    day: text("day").notNull(),
    policyDomain: text("policy_domain").notNull(),
    sentAt: integer("sent_at").notNull(),
    /** Where it went: JSON array of rua URIs with what became of each. */
    destinations: text("destinations").notNull().default("[]"),
  },
  (t) => [primaryKey({ columns: [t.day, t.policyDomain] })],
);

/**
 * Aggregate reports other servers sent about our domains: DMARC (RFC 7489 §7.2, XML) and TLS-RPT
 * (RFC 8460, JSON), parsed when they arrived. A report delivered twice (to two rua addresses, or
 * resent) is kept once.
 */
export const receivedReports = sqliteTable(
  "received_reports",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** "dmarc" or "tlsrpt". */
    kind: text("kind").notNull(),
    orgName: text("org_name").notNull(),
    reportId: text("report_id").notNull(),
    /** Our domain the report is about. */
    policyDomain: text("policy_domain").notNull(),
    /** The report's date range, epoch ms. */
    beginAt: integer("begin_at").notNull(),
    endAt: integer("end_at").notNull(),
    receivedAt: integer("received_at").notNull(),
    /** The parsed report as JSON (normalised: see src/smtp/reports/received.ts). */
    report: text("report").notNull(),
  },
  (t) => [
    uniqueIndex("received_reports_key").on(t.kind, t.orgName, t.reportId),
    index("received_reports_domain").on(t.policyDomain, t.beginAt),
  ],
);

/**
 * Issue 16: webhooks, each told of the live events its `events` list names (JSON array of event
 * types or prefixes like "message.*"), signed with its Standard Webhooks secret ("whsec_<base64>").
 */
export const webhooks = sqliteTable("webhooks", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  url: text("url").notNull(),
  events: text("events").notNull(),
  secret: text("secret").notNull(),
  createdAt: integer("created_at").notNull().default(now),
});

/**
 * One event to deliver to one webhook: durable from the moment the event is taken, until a 2xx
 * ("delivered") or 24 hours of failures ("failed"). Sent in id order per webhook: the next waits
 * for the one before to be settled, so receivers see the events in the order they happened.
 */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    webhookId: integer("webhook_id")
      .notNull()
      .references(() => webhooks.id, { onDelete: "cascade" }),
    /** The event's id on the bus (its SSE id). */
    eventId: integer("event_id").notNull(),
    eventType: text("event_type").notNull(),
    /** The request body, exactly as signed. */
    payload: text("payload").notNull(),
    /** "pending", "delivered" or "failed". */
    status: text("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at").notNull(),
    createdAt: integer("created_at").notNull().default(now),
    lastAttemptAt: integer("last_attempt_at"),
    /** The HTTP status of the last attempt; null when no response came. */
    lastStatus: integer("last_status"),
    lastError: text("last_error"),
  },
  (t) => [index("webhook_deliveries_lane").on(t.webhookId, t.status, t.id)],
);

/**
 * Issue 17: the web interface's sign-in sessions, durable so a restart does not sign anyone out.
 * Keyed by the SHA-256 of the session id (the cookie's value), never the id itself: someone who
 * reads the database (a backup, a copy) cannot sign in with what is here. `credential` is a digest
 * of what the session was signed in with (the admin token, or the account's password hash): when
 * that changes (a new password, a new admin token after a restart) the session no longer matches
 * and ends; a disabled or deleted account ends its sessions too (store/web-sessions.ts).
 */
export const webSessions = sqliteTable(
  "web_sessions",
  {
    idHash: text("id_hash").primaryKey(),
    /** "admin" or "account". */
    kind: text("kind").notNull(),
    accountId: integer("account_id").references(() => accounts.id, { onDelete: "cascade" }),
    credential: text("credential").notNull(),
    createdAt: integer("created_at").notNull(),
    lastSeenAt: integer("last_seen_at").notNull(),
  },
  (t) => [index("web_sessions_last_seen").on(t.lastSeenAt), index("web_sessions_account").on(t.accountId)],
);

/**
 * Issue 17: outbound deliveries per hour (the dashboard's "sent" chart). A delivered recipient's
 * queue row is deleted in the commit that records the success, so this count is kept in that same
 * commit; rows older than a week are dropped by the same statement's next hour.
 */
export const deliveryHours = sqliteTable("delivery_hours", {
  /** Epoch ms of the start of the UTC hour. */
  hour: integer("hour").primaryKey(),
  delivered: integer("delivered").notNull().default(0),
  bounced: integer("bounced").notNull().default(0),
});
