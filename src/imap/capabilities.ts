/**
 * The CAPABILITY list (RFC 3501 §6.1.1, §7.2.1): sent in the greeting, answered to CAPABILITY and
 * repeated in the OK of a login. One table, in the order we send it; each row says when it is
 * offered. Before login only what a client needs to log in securely is listed; the full list
 * follows once logged in (clients ask again, or read it from the login's OK).
 *
 * Adding an extension: one row here, with the RFC, and `when` if it is not always offered.
 */
import type { StateKind } from "./state.ts";

/** What decides whether a capability is offered on a connection right now. */
export interface CapabilityConditions {
  state: StateKind;
  /** Not encrypted yet, and there is a certificate. */
  canStartTls: boolean;
  /** A password may be sent on this connection (RFC 2595 §3.2). */
  plaintextAuthAllowed: boolean;
  /** The server's settings that show in the list (context.ts ImapContext.extensions). */
  settings: CapabilitySettings;
}

/** Settings of the server that decide some capabilities. */
export interface CapabilitySettings {
  /** RFC 7889 APPENDLIMIT: the largest message APPEND takes (MAILROOM_MAX_MESSAGE_SIZE). */
  appendLimit: number;
  /** RFC 7888 §5: LITERAL+ or LITERAL- (never both); "minus" limits non-synchronizing literals to 4096 octets. */
  literal: "plus" | "minus";
  /** RFC 8437 §8: the operator must be able to turn UNAUTHENTICATE off. */
  unauthenticate: boolean;
  /** RFC 9738: `MESSAGELIMIT=n` or `SAVELIMIT=n`, as message-limit.ts spells it. */
  messageLimit: string;
}

interface Capability {
  /** The name, or how to spell it from the settings (APPENDLIMIT=n). */
  name: string | ((c: CapabilityConditions) => string);
  /** Offered only when this holds; always when absent. */
  when?: (c: CapabilityConditions) => boolean;
}

const beforeLogin = (c: CapabilityConditions) => c.state === "not-authenticated";
const afterLogin = (c: CapabilityConditions) => c.state !== "not-authenticated";

/** Offered once logged in (RFC 3501 §6.1.1: the list may change with the state), in this order. */
const AFTER_LOGIN: readonly Capability["name"][] = [
  "NAMESPACE", // RFC 2342
  "UIDPLUS", // RFC 4315
  "MOVE", // RFC 6851
  "UNSELECT", // RFC 3691
  "CHILDREN", // RFC 3348
  "SPECIAL-USE", // RFC 6154
  "CREATE-SPECIAL-USE", // RFC 6154 §3
  "LIST-EXTENDED", // RFC 5258
  "LIST-STATUS", // RFC 5819
  "ESEARCH", // RFC 4731
  "SEARCHRES", // RFC 5182
  "STATUS=SIZE", // RFC 8438
  "CONDSTORE", // RFC 7162 §3.1
  "QRESYNC", // RFC 7162 §3.2
  "BINARY", // RFC 3516
  "MULTIAPPEND", // RFC 3502
  "CATENATE", // RFC 4469
  "UTF8=ACCEPT", // RFC 6855
  "SAVEDATE", // RFC 8514
  "WITHIN", // RFC 5032
  "REPLACE", // RFC 8508
  "UIDONLY", // RFC 9586
  "SORT", // RFC 5256 §3
  "SORT=DISPLAY", // RFC 5957
  "ESORT", // RFC 5267 §3
  // RFC 5267 §4: RETURN (CONTEXT UPDATE PARTIAL) on SEARCH and SORT, ADDTO/REMOVEFROM, CANCELUPDATE.
  "CONTEXT=SEARCH",
  "CONTEXT=SORT",
  "THREAD=ORDEREDSUBJECT", // RFC 5256 §3
  "THREAD=REFERENCES", // RFC 5256 §3
  "OBJECTID", // RFC 8474
  "PREVIEW", // RFC 8970
  // RFC 9208 §5: the account's byte and message-count quotas; no QUOTASET (the administrator sets them).
  "QUOTA",
  "QUOTA=RES-STORAGE",
  "QUOTA=RES-MESSAGE",
  // RFC 7889 §3.1: one limit for every mailbox, the message size limit (APPEND beyond: NO [TOOBIG]).
  (c) => `APPENDLIMIT=${c.settings.appendLimit}`,
  // RFC 9738 §3: one of MESSAGELIMIT=n and SAVELIMIT=n.
  (c) => c.settings.messageLimit,
  "COMPRESS=DEFLATE", // RFC 4978
  // RFC 5464 §1: annotations on mailboxes (METADATA) and on the server (METADATA-SERVER).
  "METADATA",
  "METADATA-SERVER",
  "NOTIFY", // RFC 5465
];

const CAPABILITIES: readonly Capability[] = [
  { name: "IMAP4rev1" }, // RFC 3501
  // RFC 9051 Appendix A: both revisions; a client that wants rev2 says ENABLE IMAP4rev2.
  { name: "IMAP4rev2" },
  { name: "LITERAL+", when: (c) => c.settings.literal === "plus" }, // RFC 7888 §3
  { name: "LITERAL-", when: (c) => c.settings.literal === "minus" }, // RFC 7888 §5
  { name: "SASL-IR" }, // RFC 4959
  { name: "ID" }, // RFC 2971
  { name: "ENABLE" }, // RFC 5161
  { name: "IDLE" }, // RFC 2177
  // RFC 3501 §6.2.1: until the connection is encrypted; gone after login (STARTTLS is not allowed then).
  { name: "STARTTLS", when: (c) => beforeLogin(c) && c.canStartTls },
  // RFC 3501 §6.2.3 and RFC 2595 §3.2: no mechanism that sends a password in the clear is offered.
  { name: "AUTH=PLAIN", when: (c) => beforeLogin(c) && c.plaintextAuthAllowed }, // RFC 4616
  { name: "AUTH=LOGIN", when: (c) => beforeLogin(c) && c.plaintextAuthAllowed },
  { name: "LOGINDISABLED", when: (c) => beforeLogin(c) && !c.plaintextAuthAllowed },
  ...AFTER_LOGIN.map((name) => ({ name, when: afterLogin })),
  { name: "UNAUTHENTICATE", when: (c) => afterLogin(c) && c.settings.unauthenticate }, // RFC 8437
];

/** The capabilities offered on a connection in these conditions, in the table's order. */
export function capabilities(conditions: CapabilityConditions): string[] {
  return CAPABILITIES.filter((c) => c.when?.(conditions) ?? true).map((c) =>
    typeof c.name === "string" ? c.name : c.name(conditions),
  );
}
