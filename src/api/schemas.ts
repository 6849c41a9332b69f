/**
 * zod schemas of request bodies; names match the components in openapi.yaml
 * (test/api/openapi.test.ts checks that every export here has a component of the same name).
 * Bodies are strict objects: an unknown field is a 422, so a typo never silently does nothing.
 */

import { z } from "zod";
import { CHAOS_LIMITS, ChaosRule } from "../chaos/rules.ts";

export const DomainCreate = z.strictObject({
  name: z.string().min(1).max(253),
});

/** Bytes; null means unlimited. */
const Quota = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable();
/** Long enough for any passphrase, short enough that scrypt input stays bounded. */
const Password = z.string().min(1).max(1024);
/** RFC 5321 §4.5.3.1.3 caps a path at 256 octets; the store checks the syntax. */
const EmailAddress = z.string().min(3).max(320);

export const AccountCreate = z.strictObject({
  address: EmailAddress,
  password: Password,
  quota: Quota.optional(),
});

export const AccountUpdate = z
  .strictObject({
    password: Password.optional(),
    quota: Quota.optional(),
    disabled: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, "give at least one of password, quota, disabled");

export const AliasCreate = z.strictObject({
  address: EmailAddress,
  targets: z.array(EmailAddress).min(1).max(100),
});

/** RFC 6154 attributes the store accepts. */
export const SpecialUse = z.enum([
  "\\All",
  "\\Archive",
  "\\Drafts",
  "\\Flagged",
  "\\Junk",
  "\\Sent",
  "\\Trash",
]);

/** The store counts octets (at most 255 of UTF-8); 255 characters is the first, cheap bound. */
const MailboxName = z.string().min(1).max(255);

export const MailboxCreate = z.strictObject({
  name: MailboxName,
  specialUse: SpecialUse.nullable().optional(),
});

export const MailboxUpdate = z
  .strictObject({
    name: MailboxName.optional(),
    subscribed: z.boolean().optional(),
    specialUse: SpecialUse.nullable().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, "give at least one of name, subscribed, specialUse");

/**
 * A settable IMAP flag: one of the system flags (case-insensitive, RFC 3501 §2.3.2; \Recent is
 * server-managed) or a keyword atom (no spaces, specials or a leading backslash).
 */
export const FlagName = z
  .string()
  .max(256)
  .regex(
    /^(?:\\(?:seen|answered|flagged|deleted|draft)|[^\\\s(){%*"\]\u0000-\u001f\u007f]+)$/i,
    "must be \\Seen, \\Answered, \\Flagged, \\Deleted, \\Draft or a keyword atom",
  );

export const FlagList = z.array(FlagName).max(100);

export const MessageUpdate = z
  .strictObject({
    flags: FlagList.optional(),
    addFlags: FlagList.optional(),
    removeFlags: FlagList.optional(),
    mailbox: MailboxName.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, "give at least one of flags, addFlags, removeFlags, mailbox")
  .refine((b) => b.flags === undefined || (b.addFlags === undefined && b.removeFlags === undefined), {
    message: "flags replaces the whole set and cannot be combined with addFlags or removeFlags",
    path: ["flags"],
  });

/** Issue 16: POST /api/v1/namespaces; `ttl` like "30m" (units s, m, h, d), one hour when absent. */
export const NamespaceCreate = z.strictObject({
  ttl: z.string().min(2).max(20).optional(),
});

/**
 * Issue 16: POST /api/v1/messages/{id}/release. `route` is `smtp://host:port`, `smtps://host:port`
 * or `host:port` (with `user:pass@` for AUTH over TLS, as MAILROOM_ROUTES reads it); `from` is the
 * envelope sender, the message's Return-Path by default.
 */
export const MessageRelease = z.strictObject({
  to: z.array(EmailAddress).min(1).max(100),
  route: z.string().min(1).max(1024),
  from: EmailAddress.optional(),
});

/**
 * Issue 16: POST /api/v1/webhooks. `events`: event types, prefixes like "message.*", or "*" for
 * all; `secret`: a Standard Webhooks secret ("whsec_" + base64 of 24 to 64 bytes), generated when
 * absent.
 */
export const WebhookCreate = z.strictObject({
  url: z.string().min(1).max(2000),
  events: z.array(z.string().min(1).max(64)).min(1).max(20),
  secret: z.string().min(1).max(200).optional(),
});

/** Issue 16: PUT /api/v1/chaos: the fault-injection rules, replacing those in force. */
export const ChaosUpdate = z.strictObject({
  rules: z.array(ChaosRule).max(CHAOS_LIMITS.maxRules),
});
