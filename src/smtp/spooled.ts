/**
 * A message received by DATA sits in a spool file (store/spool.ts) until it is read back, in one
 * piece, for the parse and the store write. That read waits for room in the shared ingest budget
 * (MEMORY_LIMITS.ingestBytes), so many large messages finishing together take turns instead of all
 * being in memory at once.
 */
import type { SMTPServerSession } from "smtp-server";
import { MEMORY_LIMITS } from "../security/limits.ts";
import { defaultMemoryBudgets, ingestCost } from "../security/memory-budget.ts";
import type { Spool } from "../store/mod.ts";
import type { SmtpContext } from "./context.ts";
import { reply } from "./replies.ts";

/**
 * Hands the spooled message to `use` once there is memory for it, and deletes the spool file after. No room in time: 452 4.3.1
 * (RFC 5321 §4.2.5: a temporary condition; the client retries). A spool that could not be written
 * (a full disk) is 452 4.3.1 too: nothing was stored.
 */
export async function readSpooled<T>(
  ctx: SmtpContext,
  session: SMTPServerSession,
  spool: Spool,
  use: (body: Buffer) => Promise<T>,
): Promise<T> {
  try {
    await spool.finish();
    if (spool.error) {
      ctx.log.error("smtp.spool_failed", { session: session.id, error: spool.error });
      throw reply.storageFailure();
    }
    const budget = (ctx.memory ?? defaultMemoryBudgets()).ingest;
    const lease = await budget.reserve(ingestCost(spool.size), MEMORY_LIMITS.ingestWaitMs);
    if (!lease) {
      ctx.log.warn("smtp.memory_busy", { session: session.id, size: spool.size });
      throw reply.serverBusy();
    }
    try {
      let body: Buffer;
      try {
        body = await spool.read();
      } catch (error) {
        ctx.log.error("smtp.spool_failed", { session: session.id, error });
        throw reply.storageFailure();
      }
      return await use(body);
    } finally {
      lease.release();
    }
  } finally {
    await spool.discard();
  }
}
