/** What the inbound defence knows about one SMTP session, kept beside smtp-server's session object. */
import type { SMTPServerSession } from "smtp-server";
import type { ClientFindings, ListResult } from "../../spam/mod.ts";

export interface DefenceState {
  /** A trusted-network client: no check applies to it. */
  exempt: boolean;
  /** The connect-time lookups (block/allow lists, reverse DNS); never rejects. */
  client?: Promise<ClientFindings>;
  /** Their result once it came. */
  findings?: ClientFindings;
  /** RHSBL listings of the HELO name, asked once per name. */
  helo?: { name: string; listings: Promise<ListResult[]> };
  /** RHSBL listings of the MAIL FROM domain, per transaction. */
  sender?: { domain: string; listings: Promise<ListResult[]> };
  /** Whether the client sent before the greeting. */
  earlyTalk: boolean;
}

const states = new WeakMap<SMTPServerSession, DefenceState>();

export function defenceState(session: SMTPServerSession): DefenceState {
  let state = states.get(session);
  if (!state) {
    state = { exempt: false, earlyTalk: false };
    states.set(session, state);
  }
  return state;
}

/** Findings, as far as they came within `waitMs` (a slow resolver counts as "nothing found"). */
export async function findingsWithin(
  state: DefenceState,
  waitMs: number,
): Promise<ClientFindings | undefined> {
  if (state.findings || !state.client) return state.findings;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), waitMs);
  });
  try {
    return await Promise.race([state.client, late]);
  } finally {
    clearTimeout(timer);
  }
}
