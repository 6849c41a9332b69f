/**
 * The data model of a parsed message. Everything is plain JSON-serialisable
 * data: parts refer to the raw message by byte offsets, never by copies.
 */

/**
 * IMAP envelope address (RFC 3501 §7.4.2). Group syntax: a start marker
 * {name: null, mailbox: groupName, host: null}, the members, then an end
 * marker with all fields null. A non-group address always has a string host
 * ("" when the source had no domain), so host === null means "group marker".
 */
export interface Address {
  name: string | null;
  /**
   * The obsolete source route (RFC 5322 §4.4 obs-route, RFC 3501 §7.4.2 at-domain-list), e.g.
   * "@relay1,@relay2"; absent when there is none (and in envelopes stored before it was kept).
   */
  adl?: string;
  mailbox: string | null;
  host: string | null;
}

/** RFC 3501 §7.4.2 ENVELOPE fields; strings are raw (unfolded) header values, not RFC 2047-decoded. */
export interface Envelope {
  date: string | null;
  subject: string | null;
  from: Address[] | null;
  /** Defaults to `from` when absent or empty (RFC 3501 §7.4.2). */
  sender: Address[] | null;
  /** Defaults to `from` when absent or empty (RFC 3501 §7.4.2). */
  replyTo: Address[] | null;
  to: Address[] | null;
  cc: Address[] | null;
  bcc: Address[] | null;
  inReplyTo: string | null;
  messageId: string | null;
}

export interface MimePart {
  /** IMAP part number: "1", "1.2", ...; a multipart message root is "" and a non-multipart root "1". */
  partId: string;
  /** Offset of the part's header. */
  start: number;
  /** Offset of the body: just past the blank line ending the header (or where the header stopped). */
  bodyStart: number;
  /** Offset just past the body; the line break before a boundary delimiter is excluded (RFC 2046 §5.1.1). */
  end: number;
  /** Lower-case media type; text/plain by default (message/rfc822 inside multipart/digest). */
  type: string;
  subtype: string;
  /** Content-Type parameters, keys lower-case, RFC 2231 decoded. */
  params: Record<string, string>;
  id: string | null;
  description: string | null;
  /** Content-Transfer-Encoding, upper-case ("7BIT" by default). */
  encoding: string;
  /** Body octets: end - bodyStart. */
  size: number;
  /** Lines in the body; an unterminated last line counts. Computed for every part. */
  lines: number;
  md5: string | null;
  disposition: { type: string; params: Record<string, string> } | null;
  language: string[] | null;
  location: string | null;
  /**
   * Sub-parts of a multipart. Empty for leaves, and also for a multipart that
   * could not be split (no boundary parameter, no delimiter line found, or
   * nested deeper than the depth cap): render those as a basic (leaf) body.
   */
  children: MimePart[];
  /**
   * The encapsulated message of a message/rfc822 or message/global part,
   * offsets absolute into the outer raw message. Absent when the part could
   * not be opened (a transfer encoding other than 7bit/8bit/binary, which
   * RFC 2046 §5.2.1 forbids, or nesting deeper than the cap): then it is a leaf.
   */
  message?: { envelope: Envelope; body: MimePart };
}

export interface ParsedMessage {
  headerEnd: number;
  envelope: Envelope;
  structure: MimePart;
  subject: string;
  from: string;
  to: string;
  date: number | null;
  /** The Date header's own calendar day, as days since 1970-01-01 (date.ts SentDate.day), or null. */
  sentDay: number | null;
  preview: string;
  searchText: string;
  searchHeaders: string;
  hasAttachments: boolean;
  /** What SORT and THREAD compare (sort-keys.ts), derived here so they never re-read the message. */
  sortKeys: SortKeys;
}

export interface MessageJson {
  headers: Array<{ name: string; value: string }>;
  from: Address[];
  to: Address[];
  cc: Address[];
  subject: string;
  date: string | null;
  messageId: string | null;
  text: string | null;
  html: string | null;
  attachments: Array<{
    partId: string;
    filename: string | null;
    contentType: string;
    size: number;
    disposition: string | null;
    contentId: string | null;
  }>;
}

/** What SORT and THREAD (RFC 5256, RFC 5957) compare, derived at delivery (sort-keys.ts). */
export interface SortKeys {
  /** RFC 5256 §2.1 base subject, casefolded. */
  baseSubject: string;
  /** The subject was a reply or forward (§2.1 steps 2, 3 and 6 removed something): REFERENCES §5. */
  isReply: boolean;
  /** RFC 5256 §3: addr-mailbox of the first From / To / Cc address, casefolded; "" if none. */
  sortFrom: string;
  sortTo: string;
  sortCc: string;
  /** RFC 5957 §3: the display name of the first From / To address, else its addr-spec; casefolded. */
  displayFrom: string;
  displayTo: string;
  /** The first Message-ID, brackets included; "" when none is valid (RFC 5256 §3 step 1). */
  messageId: string;
  /**
   * RFC 5256 §3 step 1: the References' message IDs, or failing those the first of In-Reply-To, in
   * order (oldest ancestor first), at most MAX_REFERENCES (sort-keys.ts; the last ones).
   */
  references: string[];
}
