/**
 * DKIM keys of the local domains: the facts only (which keys a domain has, in which state). Key
 * generation, selectors and the grace period are decided in src/auth/dkim-keys.ts.
 *
 * A key's state as readers see it is computed from `retire_at` as well as the stored state: a
 * retiring key whose time has come is "retired" at once, whether or not the timer that writes it
 * down has run yet.
 */
import { and, asc, eq, inArray, lte, notExists, sql } from "drizzle-orm";
import type { Reader, Write } from "./db.ts";
import { domainFind } from "./domains.ts";
import { notFound } from "./errors.ts";
import { dkimKeys, domains } from "./schema.ts";

export type DkimAlgorithm = "rsa-sha256" | "ed25519-sha256";
export type DkimKeyState = "active" | "retiring" | "retired";

/** What the API and the DNS records show: never the private key. */
export interface DkimKeyInfo {
  selector: string;
  algorithm: DkimAlgorithm;
  state: DkimKeyState;
  /** The p= value of the key record (RFC 6376 §3.6.1). */
  publicKey: string;
  createdAt: number;
  retireAt: number | null;
}

/** What the signer needs: the private key too. */
export interface DkimSigningKey extends DkimKeyInfo {
  id: number;
  privateKey: string;
}

export interface DkimKeyInput {
  selector: string;
  algorithm: DkimAlgorithm;
  privateKey: string;
  publicKey: string;
}

function effectiveState(state: string, retireAt: number | null, now: number): DkimKeyState {
  if (state === "retiring" && retireAt !== null && retireAt <= now) return "retired";
  return state === "active" || state === "retiring" ? state : "retired";
}

const infoColumns = {
  id: dkimKeys.id,
  selector: dkimKeys.selector,
  algorithm: dkimKeys.algorithm,
  state: dkimKeys.state,
  publicKey: dkimKeys.publicKey,
  createdAt: dkimKeys.createdAt,
  retireAt: dkimKeys.retireAt,
};

async function domainIdOf(r: Reader, domain: string): Promise<number> {
  const found = await domainFind(r, domain);
  if (!found) throw notFound(`domain ${domain}`);
  return found.id;
}

/** Every key of a domain, oldest first, with its state as of `now`. */
export async function dkimKeysOfDomain(
  r: Reader,
  domain: string,
  options: { now?: number } = {},
): Promise<DkimKeyInfo[]> {
  const domainId = await domainIdOf(r, domain);
  const now = options.now ?? Date.now();
  const rows = await r
    .select(infoColumns)
    .from(dkimKeys)
    .where(eq(dkimKeys.domainId, domainId))
    .orderBy(asc(dkimKeys.createdAt), asc(dkimKeys.id));
  return rows.map(({ id: _id, ...row }) => ({
    ...row,
    algorithm: row.algorithm as DkimAlgorithm,
    state: effectiveState(row.state, row.retireAt, now),
  }));
}

/** The keys that sign a domain's mail now (with their private keys); [] for an unknown domain. */
export async function dkimKeysActive(r: Reader, domain: string): Promise<DkimSigningKey[]> {
  const found = await domainFind(r, domain);
  if (!found) return [];
  const rows = await r
    .select({ ...infoColumns, privateKey: dkimKeys.privateKey })
    .from(dkimKeys)
    .where(and(eq(dkimKeys.domainId, found.id), eq(dkimKeys.state, "active")))
    .orderBy(asc(dkimKeys.id));
  return rows.map((row) => ({ ...row, algorithm: row.algorithm as DkimAlgorithm, state: "active" }));
}

/**
 * Adds a generation of keys as the domain's active ones. With `ifNoneActive`, nothing is added when
 * the domain already has active keys (another process or request was first): checked inside the
 * caller's write, so two racing callers cannot both add. Returns whether the keys were added.
 */
export async function dkimKeysCreate(
  w: Write,
  domain: string,
  keys: readonly DkimKeyInput[],
  options: { ifNoneActive?: boolean } = {},
): Promise<boolean> {
  const domainId = await domainIdOf(w.tx, domain);
  if (options.ifNoneActive) {
    const [active] = await w.tx
      .select({ id: dkimKeys.id })
      .from(dkimKeys)
      .where(and(eq(dkimKeys.domainId, domainId), eq(dkimKeys.state, "active")))
      .limit(1);
    if (active) return false;
  }
  await insertKeys(w, domainId, keys);
  return true;
}

/**
 * Inserts key rows. drizzle puts a failed query's parameters — here the private keys — into its
 * error message, which the caller would log: the error is replaced by one that names the failure
 * (and keeps its code, e.g. SQLITE_FULL for isStorageFull) without them.
 */
async function insertKeys(w: Write, domainId: number, keys: readonly DkimKeyInput[]): Promise<void> {
  if (keys.length === 0) return;
  try {
    await w.tx.insert(dkimKeys).values(keys.map((k) => ({ ...k, domainId })));
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause ?? error;
    const code = (cause as { code?: unknown }).code;
    const detail = cause instanceof Error && !cause.message.includes("PRIVATE KEY") ? cause.message : "";
    throw Object.assign(new Error(`storing DKIM keys failed${detail ? `: ${detail}` : ""}`), {
      ...(typeof code === "string" ? { code } : {}),
    });
  }
}

/** Selectors the domain has used, in any state (new ones must differ: RFC 6376 §3.1). */
export async function dkimSelectorsOfDomain(r: Reader, domain: string): Promise<Set<string>> {
  const domainId = await domainIdOf(r, domain);
  const rows = await r
    .select({ selector: dkimKeys.selector })
    .from(dkimKeys)
    .where(eq(dkimKeys.domainId, domainId));
  return new Set(rows.map((row) => row.selector));
}

/**
 * Rotation: the active keys become retiring (published until `retireAt`, no longer signing) and the
 * new ones become active, in one write.
 */
export async function dkimKeysRotate(
  w: Write,
  domain: string,
  keys: readonly DkimKeyInput[],
  options: { retireAt: number },
): Promise<void> {
  const domainId = await domainIdOf(w.tx, domain);
  await w.tx
    .update(dkimKeys)
    .set({ state: "retiring", retireAt: options.retireAt })
    .where(and(eq(dkimKeys.domainId, domainId), eq(dkimKeys.state, "active")));
  await insertKeys(w, domainId, keys);
}

/**
 * Writes down the retirement of every retiring key whose time has come, erasing its private key
 * (it will never sign again). Returns the selectors retired.
 */
export async function dkimKeysRetireDue(w: Write, now: number): Promise<string[]> {
  const due = await w.tx
    .select({ id: dkimKeys.id, selector: dkimKeys.selector })
    .from(dkimKeys)
    .where(and(eq(dkimKeys.state, "retiring"), lte(dkimKeys.retireAt, now)));
  if (due.length === 0) return [];
  await w.tx
    .update(dkimKeys)
    .set({ state: "retired", privateKey: "" })
    .where(
      inArray(
        dkimKeys.id,
        due.map((d) => d.id),
      ),
    );
  return due.map((d) => d.selector);
}

/** The earliest pending retirement (epoch ms), or null: when the retirement timer should wake. */
export async function dkimNextRetirement(r: Reader): Promise<number | null> {
  const [row] = await r
    .select({ retireAt: dkimKeys.retireAt })
    .from(dkimKeys)
    .where(eq(dkimKeys.state, "retiring"))
    .orderBy(asc(dkimKeys.retireAt))
    .limit(1);
  return row?.retireAt ?? null;
}

/**
 * Names of the local domains that have no active key (to be given keys at start-up). Domains that
 * catch mode or a throwaway namespace created are left out: they never send, and an RSA generation
 * for each of thousands of test domains would only burn CPU.
 */
export async function dkimDomainsWithoutKeys(r: Reader): Promise<string[]> {
  const active = r
    .select({ one: sql`1` })
    .from(dkimKeys)
    .where(and(eq(dkimKeys.domainId, domains.id), eq(dkimKeys.state, "active")));
  const rows = await r
    .select({ name: domains.name })
    .from(domains)
    .where(and(notExists(active), eq(domains.origin, "admin")))
    .orderBy(asc(domains.name));
  return rows.map((row) => row.name);
}
