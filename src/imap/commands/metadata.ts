/**
 * METADATA and METADATA-SERVER (RFC 5464): GETMETADATA and SETMETADATA on server annotations
 * (mailbox "") and on the account's mailboxes. The store keeps them (store/metadata.ts) with its
 * limits on value size and entry count, which answer NO [METADATA MAXSIZE n] and
 * NO [METADATA TOOMANY] (§4.3). Private annotations are supported everywhere, so NOPRIVATE never
 * arises. Both commands are valid once logged in (§4).
 */
import {
  METADATA_LIMITS,
  type MetadataEntry,
  mailboxFind,
  metadataGet,
  metadataSet,
  SERVER_METADATA,
  StoreError,
} from "../../store/mod.ts";
import { ImapBad, ImapNo } from "../errors.ts";
import { literal, mailboxName, type Piece, str } from "../protocol/encode.ts";
import { entryName, getMetadataArgs, setMetadataArgs } from "../protocol/metadata-args.ts";
import type { AuthenticatedCommand, CommandSession } from "./handler.ts";

/** One METADATA response carries at most this much: a DEPTH infinity answer goes out in parts. */
const RESPONSE_CHUNK_BYTES = 256 * 1024;

/** The mailbox's id for the store, SERVER_METADATA for "" (§3.1: server annotations). */
async function scope({ ctx, state }: AuthenticatedCommand, name: string): Promise<number> {
  if (name === "") return SERVER_METADATA;
  const mailbox = await mailboxFind(ctx.store.read, state.account.id, name);
  if (!mailbox) throw new ImapNo("NONEXISTENT", "No such mailbox");
  return mailbox.id;
}

/** A value as the grammar allows (§5: nstring / literal8): quoted when plain, literal8 with NUL. */
export function metadataValue(value: Buffer, utf8: boolean): Piece {
  if (value.includes(0)) return Buffer.concat([Buffer.from("~"), literal(value)]);
  const text = value.toString("utf8");
  if (Buffer.byteLength(text) !== value.length || text.includes("\uFFFD")) return literal(value);
  return str(text, utf8);
}

/** `METADATA mailbox (entry value ...)`, in parts of at most RESPONSE_CHUNK_BYTES. */
async function sendMetadata(
  session: CommandSession,
  mailbox: string,
  values: Array<{ name: string; value: Buffer | null }>,
): Promise<void> {
  const head = (): Piece[] => ["METADATA ", mailboxName(mailbox, session.utf8), " ("];
  let pieces = head();
  let bytes = 0;
  let count = 0;
  for (const { name, value } of values) {
    if (count > 0 && bytes > RESPONSE_CHUNK_BYTES) {
      session.untagged([...pieces, ")"]);
      await session.drain();
      pieces = head();
      bytes = 0;
      count = 0;
    }
    if (count > 0) pieces.push(" ");
    pieces.push(entryName(name), " ", value === null ? "NIL" : metadataValue(value, session.utf8));
    bytes += name.length + (value?.length ?? 3);
    count++;
  }
  if (count > 0) session.untagged([...pieces, ")"]);
}

/** RFC 5464 §4.2: GETMETADATA [options] mailbox entries. */
export async function getmetadata(command: AuthenticatedCommand): Promise<string> {
  const { ctx, state, session, parser } = command;
  const args = getMetadataArgs(parser);
  const mailboxId = await scope(command, args.mailbox);
  const found = await metadataGet(ctx.store.read, state.account.id, {
    mailboxId,
    names: args.entries,
    depth: args.depth,
  });
  const byName = new Map<string, MetadataEntry>(found.map((e) => [e.name, e]));
  const out: Array<{ name: string; value: Buffer | null }> = [];
  const seen = new Set<string>();
  let longest = 0;
  const add = (name: string, value: Buffer | null) => {
    if (seen.has(name)) return;
    seen.add(name);
    // §4.2.1: a value over MAXSIZE is left out; the largest such size goes in LONGENTRIES.
    if (value && args.maxSize !== undefined && value.length > args.maxSize) {
      longest = Math.max(longest, value.length);
      return;
    }
    out.push({ name, value });
  };
  for (const name of args.entries) {
    // An entry asked for by name that does not exist is answered NIL (as Dovecot does), so the
    // client can tell "none" from "not answered".
    add(name, byName.get(name)?.value ?? null);
    if (args.depth !== 0) for (const e of found) if (e.name.startsWith(`${name}/`)) add(e.name, e.value);
  }
  await sendMetadata(session, args.mailbox, out);
  return longest > 0 ? `[METADATA LONGENTRIES ${longest}] GETMETADATA completed` : "GETMETADATA completed";
}

/** RFC 5464 §4.3: SETMETADATA mailbox (entry value ...); NIL removes. All or nothing. */
export async function setmetadata(command: AuthenticatedCommand): Promise<string> {
  const { ctx, state, parser } = command;
  const args = setMetadataArgs(parser);
  // §3.2: the two roots hold entries but are none themselves.
  for (const { name } of args.entries)
    if (name === "/private" || name === "/shared") throw new ImapBad(undefined, `${name} is not an entry`);
  const mailboxId = await scope(command, args.mailbox);
  const largest = Math.max(...args.entries.map((e) => e.value?.length ?? 0));
  // §4.3: "[METADATA MAXSIZE n]" gives the largest value the server takes.
  if (largest > METADATA_LIMITS.maxValueBytes)
    throw new ImapNo(`METADATA MAXSIZE ${METADATA_LIMITS.maxValueBytes}`, "Value too large");
  try {
    await ctx.store.write((w) => metadataSet(w, state.account.id, { mailboxId, entries: args.entries }));
  } catch (error) {
    // §4.3: the account holds as many annotations as it may.
    if (error instanceof StoreError && error.code === "limit")
      throw new ImapNo("METADATA TOOMANY", "Too many annotations");
    throw error;
  }
  return "SETMETADATA completed";
}
