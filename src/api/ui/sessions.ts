/**
 * The web interface's sign-in sessions (issue 17), kept in the database (store/web-sessions.ts) so a
 * restart signs no one out. The row is keyed by the SHA-256 of the session id: the id itself (the
 * cookie's value) is never stored, so a copy of the database signs no one in.
 *
 * A session is either the admin's (signed in with the admin token) or one account's (signed in with
 * its password: that account's mail only, enforced in ../auth.ts). Every sign-in makes a new random
 * id (no session fixation: an id planted in a browser before sign-in never becomes signed in). Each
 * session has its own CSRF token, which every write must send back in a header: derived from the id
 * (a keyed digest), so it needs no storage and only the holder of the cookie can know it.
 *
 * A session ends when idle or old (limits.ts), on sign-out, and as soon as what it was signed in with
 * no longer holds: the account's password changed, the account was disabled or deleted, or the
 * admin token is not the one it was made with (checked by the store on every lookup).
 */

import { createHash, randomBytes } from "node:crypto";
import { withDefaults } from "../../options.ts";
import {
  type Store,
  webSessionCreate,
  webSessionDelete,
  webSessionGet,
  webSessionsEndAccount,
  webSessionTouch,
} from "../../store/mod.ts";
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

/** The key the session's row is stored under. */
const idHash = (id: string) => createHash("sha256").update(id).digest("base64url");

/** The session's CSRF token: a digest of its id under its own label (never the id, never stored). */
const csrfOf = (id: string) => createHash("sha256").update("mailroom-csrf\0").update(id).digest("base64url");

/** A cookie value that cannot be one of our ids is not looked up at all. */
const ID_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export class SessionStore {
  readonly #store: Store;
  readonly #adminToken: string;
  readonly #limits: SessionLimits;
  readonly #now: () => number;

  constructor({
    store,
    adminToken,
    limits,
    now = Date.now,
  }: {
    store: Store;
    adminToken: string;
    limits?: Partial<SessionLimits>;
    now?: () => number;
  }) {
    this.#store = store;
    this.#adminToken = adminToken;
    this.#limits = withDefaults(SESSION_LIMITS, limits);
    this.#now = now;
  }

  /**
   * A new session with a fresh id; `replacing` (the id the browser presented) ends. Undefined when
   * the account cannot sign in (gone or disabled since its password was checked).
   */
  async create(principal: Principal, replacing?: string): Promise<Session | undefined> {
    const id = token();
    const now = this.#now();
    const made = await this.#store.write(async (w) => {
      if (replacing !== undefined) await webSessionDelete(w, idHash(replacing));
      return webSessionCreate(w, {
        idHash: idHash(id),
        now,
        max: this.#limits.maxSessions,
        idleMs: this.#limits.idleMs,
        absoluteMs: this.#limits.absoluteMs,
        ...(principal.kind === "admin"
          ? { kind: "admin" as const, adminToken: this.#adminToken }
          : { kind: "account" as const, address: principal.address }),
      });
    });
    if (!made) return undefined;
    return { id, csrf: csrfOf(id), principal, createdAt: now, lastSeenAt: now };
  }

  /** The live session with this id (marking it used), or undefined when unknown, expired or ended. */
  async get(id: string): Promise<Session | undefined> {
    if (!ID_SHAPE.test(id)) return undefined;
    const key = idHash(id);
    const row = await webSessionGet(this.#store.read, key, this.#adminToken);
    if (!row) return undefined;
    const now = this.#now();
    if (now - row.lastSeenAt > this.#limits.idleMs || now - row.createdAt > this.#limits.absoluteMs) {
      await this.#store.write((w) => webSessionDelete(w, key));
      return undefined;
    }
    // Marking it used costs a write: at most once per touchMs, not once per request.
    if (now - row.lastSeenAt >= this.#limits.touchMs)
      await this.#store.write((w) => webSessionTouch(w, key, now));
    const principal: Principal =
      row.kind === "admin" ? { kind: "admin" } : { kind: "account", address: row.address! };
    return { id, csrf: csrfOf(id), principal, createdAt: row.createdAt, lastSeenAt: now };
  }

  async delete(id: string): Promise<void> {
    await this.#store.write((w) => webSessionDelete(w, idHash(id)));
  }

  /**
   * Ends every session of this account now. A new password or a disabled account already ends them
   * at their next lookup (the store compares); this also removes the rows.
   */
  async endAccount(address: string): Promise<void> {
    await this.#store.write((w) => webSessionsEndAccount(w, address));
  }
}
