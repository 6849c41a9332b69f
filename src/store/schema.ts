/**
 * The database schema: the source of truth for `migrations/` (drizzle-kit generates them from this
 * file; generated migrations are reviewed and never edited after they land).
 *
 * Layout choices that readers depend on:
 * - Raw bytes live in `blobs`, apart from the parsed metadata in `contents`, so listing a mailbox never
 *   pages through message bodies (SQLite walks a row's overflow pages to reach later columns).
 * - A message row is one copy of a content in one mailbox; recipients of one delivery share a content.
 * - `mailboxes` carries UIDNEXT and HIGHESTMODSEQ so a delivery never runs `max(uid)` (see FACTS.md).
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
    subscribed: integer("subscribed", { mode: "boolean" }).notNull().default(true),
    createdAt: integer("created_at").notNull().default(now),
  },
  (t) => [uniqueIndex("mailboxes_account_name").on(t.accountId, t.name)],
);

/** Parsed, reader-ready metadata of one stored message content (shared by all its recipients). */
export const contents = sqliteTable("contents", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  size: integer("size").notNull(),
  /** Byte offset where the body starts (after the header's blank line). */
  headerEnd: integer("header_end").notNull(),
  /** IMAP ENVELOPE fields as JSON (src/mime Envelope). */
  envelope: text("envelope").notNull(),
  /** MIME tree with byte offsets and line counts as JSON (src/mime MimePart). */
  structure: text("structure").notNull(),
  subject: text("subject").notNull().default(""),
  fromText: text("from_text").notNull().default(""),
  toText: text("to_text").notNull().default(""),
  /** Date header as epoch ms (for SENTBEFORE etc.), null when missing or unparseable. */
  sentAt: integer("sent_at"),
  preview: text("preview").notNull().default(""),
  /** Lower-cased decoded header lines and body text, for SEARCH and the REST `q` filter. */
  searchHeaders: text("search_headers").notNull().default(""),
  searchText: text("search_text").notNull().default(""),
  hasAttachments: integer("has_attachments", { mode: "boolean" }).notNull().default(false),
  createdAt: integer("created_at").notNull().default(now),
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
  },
  (t) => [
    uniqueIndex("messages_mailbox_uid").on(t.mailboxId, t.uid),
    index("messages_mailbox_modseq").on(t.mailboxId, t.modseq),
    index("messages_mailbox_flags").on(t.mailboxId, t.flags),
    index("messages_content").on(t.contentId),
    index("messages_account").on(t.accountId),
  ],
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
