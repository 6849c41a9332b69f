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
  { name: "NAMESPACE", when: afterLogin }, // RFC 2342
  { name: "UIDPLUS", when: afterLogin }, // RFC 4315
  { name: "MOVE", when: afterLogin }, // RFC 6851
  { name: "UNSELECT", when: afterLogin }, // RFC 3691
  { name: "CHILDREN", when: afterLogin }, // RFC 3348
  { name: "SPECIAL-USE", when: afterLogin }, // RFC 6154
  { name: "CREATE-SPECIAL-USE", when: afterLogin }, // RFC 6154 §3
  { name: "LIST-EXTENDED", when: afterLogin }, // RFC 5258
  { name: "LIST-STATUS", when: afterLogin }, // RFC 5819
  { name: "ESEARCH", when: afterLogin }, // RFC 4731
  { name: "SEARCHRES", when: afterLogin }, // RFC 5182
  { name: "STATUS=SIZE", when: afterLogin }, // RFC 8438
  { name: "CONDSTORE", when: afterLogin }, // RFC 7162 §3.1
  { name: "QRESYNC", when: afterLogin }, // RFC 7162 §3.2
  { name: "BINARY", when: afterLogin }, // RFC 3516
  { name: "MULTIAPPEND", when: afterLogin }, // RFC 3502
  { name: "CATENATE", when: afterLogin }, // RFC 4469
  { name: "UTF8=ACCEPT", when: afterLogin }, // RFC 6855
  { name: "SAVEDATE", when: afterLogin }, // RFC 8514
  { name: "WITHIN", when: afterLogin }, // RFC 5032
  { name: "REPLACE", when: afterLogin }, // RFC 8508
  { name: "UIDONLY", when: afterLogin }, // RFC 9586
  { name: "SORT", when: afterLogin }, // RFC 5256 §3
  { name: "SORT=DISPLAY", when: afterLogin }, // RFC 5957
  { name: "ESORT", when: afterLogin }, // RFC 5267 §3
  // RFC 5267 §4: RETURN (CONTEXT UPDATE PARTIAL) on SEARCH and SORT, ADDTO/REMOVEFROM, CANCELUPDATE.
  { name: "CONTEXT=SEARCH", when: afterLogin },
  { name: "CONTEXT=SORT", when: afterLogin },
  { name: "THREAD=ORDEREDSUBJECT", when: afterLogin }, // RFC 5256 §3
  { name: "THREAD=REFERENCES", when: afterLogin }, // RFC 5256 §3
  { name: "OBJECTID", when: afterLogin }, // RFC 8474
  { name: "PREVIEW", when: afterLogin }, // RFC 8970
  // RFC 9208 §5: the account's byte and message-count quotas; no QUOTASET (the administrator sets them).
  { name: "QUOTA", when: afterLogin },
  { name: "QUOTA=RES-STORAGE", when: afterLogin },
  { name: "QUOTA=RES-MESSAGE", when: afterLogin },
  // RFC 7889 §3.1: one limit for every mailbox, the message size limit (APPEND beyond: NO [TOOBIG]).
  { name: (c) => `APPENDLIMIT=${c.settings.appendLimit}`, when: afterLogin },
  // RFC 9738 §3: one of MESSAGELIMIT=n and SAVELIMIT=n.
  { name: (c) => c.settings.messageLimit, when: afterLogin },
  { name: "COMPRESS=DEFLATE", when: afterLogin }, // RFC 4978
  // RFC 5464 §1: annotations on mailboxes (METADATA) and on the server (METADATA-SERVER).
  { name: "METADATA", when: afterLogin },
  { name: "METADATA-SERVER", when: afterLogin },
  { name: "NOTIFY", when: afterLogin }, // RFC 5465
  { name: "UNAUTHENTICATE", when: (c) => afterLogin(c) && c.settings.unauthenticate }, // RFC 8437
];

/** The capabilities offered on a connection in these conditions, in the table's order. */
export function capabilities(conditions: CapabilityConditions): string[] {
  return CAPABILITIES.filter((c) => c.when?.(conditions) ?? true).map((c) =>
    typeof c.name === "string" ? c.name : c.name(conditions),
  );
}
