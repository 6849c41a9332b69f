/**
 * The web interface's sign-in sessions (issue 17), in memory: a restart signs everyone out, which
 * is what a server restart after a token change should do anyway.
 *
 * A session is either the admin's (signed in with the admin token) or one account's (signed in with
 * its password: that account's mail only, enforced in ../auth.ts). Every sign-in makes a new random
 * id (no session fixation: an id planted in a browser before sign-in never becomes signed in), and
 * each session has its own CSRF token, which every write must send back in a header.
 */
import { randomBytes } from "node:crypto";
import { SESSION_LIMITS, type SessionLimits } from "./limits.ts";

export type Principal = { kind: "admin" } | { kind: "account"; address: string };

export interface Session {
  id: string;
  csrf: string;
  principal: Principal;
  createdAt: number;
  lastSeenAt: number;
}

/** 256 bits from the CSPRNG, URL-safe: unguessable, and fits a cookie without quoting. */
const token = () => randomBytes(32).toString("base64url");

export class SessionStore {
  // A Map keeps insertion order: deleting and re-inserting on use makes the first key the LRU one.
  readonly #sessions = new Map<string, Session>();
  readonly #limits: SessionLimits;
  readonly #now: () => number;

  constructor(options: { limits?: Partial<SessionLimits>; now?: () => number } = {}) {
    this.#limits = { ...SESSION_LIMITS, ...options.limits };
    this.#now = options.now ?? Date.now;
  }

  /** A new session with fresh id and CSRF token; `replacing` (the id the browser presented) ends. */
  create(principal: Principal, replacing?: string): Session {
    if (replacing !== undefined) this.#sessions.delete(replacing);
    while (this.#sessions.size >= this.#limits.maxSessions) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest === undefined) break;
      this.#sessions.delete(oldest);
    }
    const now = this.#now();
    const session: Session = { id: token(), csrf: token(), principal, createdAt: now, lastSeenAt: now };
    this.#sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id (marking it used), or undefined when unknown or expired. */
  get(id: string): Session | undefined {
    const session = this.#sessions.get(id);
    if (!session) return undefined;
    const now = this.#now();
    if (now - session.lastSeenAt > this.#limits.idleMs || now - session.createdAt > this.#limits.absoluteMs) {
      this.#sessions.delete(id);
      return undefined;
    }
    session.lastSeenAt = now;
    this.#sessions.delete(id);
    this.#sessions.set(id, session);
    return session;
  }

  delete(id: string): void {
    this.#sessions.delete(id);
  }

  /** Ends every session of this account (its password changed, it was disabled or deleted). */
  endAccount(address: string): void {
    for (const [id, s] of this.#sessions) {
      if (s.principal.kind === "account" && s.principal.address === address) this.#sessions.delete(id);
    }
  }

  get size(): number {
    return this.#sessions.size;
  }
}
