/**
 * A delivery worker: one connection to one destination domain, carrying transaction after
 * transaction (RFC 5321 §3.3: a new MAIL after the previous 250) — first the groups it was started
 * with, then whatever falls due for the domain meanwhile, lingering a moment for more before it
 * says QUIT. Each transaction's result is committed before the next one starts.
 */
import type { Route } from "../../config.ts";
import { contentRaw, type QueueItem, queueRemove } from "../../store/mod.ts";
import { type SmtpSession, smtpConnect } from "../delivery/client.ts";
import { type DeliveryHost, type MxResolver, routeResolve } from "../delivery/routes.ts";
import { SMTP_LIMITS } from "../limits.ts";
import { receivedCount } from "../trace-headers.ts";
import { QUEUE_LIMITS } from "./limits.ts";
import { commitResults, type ResultContext, sortOutcomes, type TempFailure } from "./results.ts";

export interface WorkerContext extends ResultContext {
  routes: readonly Route[];
  resolver: MxResolver;
  isRunning(): boolean;
  /** More due groups for the domain, already marked in flight; [] when there are none. */
  take(domain: string): Promise<QueueItem[][]>;
  /** The group's result is committed: its items are no longer in flight. */
  release(group: readonly QueueItem[]): void;
  /**
   * Waits up to `ms` for the runner to hand over newly due groups for the domain (already marked in
   * flight); [] when none came, or when the worker should rather quit (stopping, connections wanted).
   */
  idle(domain: string, ms: number): Promise<QueueItem[][]>;
}

export async function runWorker(ctx: WorkerContext, domain: string, initial: QueueItem[][]): Promise<void> {
  const route = await routeResolve(domain, { routes: ctx.routes, resolver: ctx.resolver });
  if (route.kind === "permanent") {
    const failed = initial.flat().map((item) => ({ item, status: route.status, detail: route.diagnostic }));
    await commitResults(ctx, { failed });
    return;
  }
  if (route.kind === "temporary") {
    const failure: TempFailure = {
      status: route.status,
      reply: null,
      detail: route.diagnostic,
      remoteMta: null,
    };
    await commitResults(ctx, { temporary: initial.flat().map((item) => ({ item, failure })) });
    return;
  }

  const born = Date.now();
  let session: SmtpSession | undefined;
  let host = "";
  let groups = initial;
  try {
    for (;;) {
      for (const [index, group] of groups.entries()) {
        // Stopping: finish the transaction under way, leave the rest queued for the next start.
        if (!ctx.isRunning()) return;
        const first = group[0]!;
        const raw = await contentRaw(ctx.store.read, first.contentId);
        if (!raw) {
          // Cannot happen while a row refers to it; if it does, there is nothing left to deliver.
          ctx.log.error("queue.content_missing", { ids: group.map((i) => i.id), content: first.contentId });
          await ctx.store.write(async (w) => {
            for (const item of group) await queueRemove(w, item.id);
          });
          ctx.release(group);
          continue;
        }
        // RFC 5321 §6.3: a message that went round too often is looping; bounce it without trying.
        if (receivedCount(raw) > SMTP_LIMITS.maxReceivedHeaders) {
          const detail = "too many Received headers: mail loop detected";
          await commitResults(ctx, { failed: group.map((item) => ({ item, status: "5.4.6", detail })) });
          ctx.release(group);
          continue;
        }

        if (!session?.usable) {
          const connected = await connectFirst(ctx, domain, route.hosts);
          if (connected.kind === "unreachable") {
            // The same hosts would refuse the rest too: defer them all now.
            const failure: TempFailure = {
              status: "4.4.1",
              reply: null,
              detail: connected.detail,
              remoteMta: null,
            };
            const rest = groups.slice(index).flat();
            await commitResults(ctx, { temporary: rest.map((item) => ({ item, failure })) });
            ctx.release(rest);
            return;
          }
          session = connected.session;
          host = connected.host;
        }

        const outcomes = await session.send({
          sender: first.sender,
          // One RCPT per address even if it was queued twice; every row gets the result.
          recipients: [...new Map(group.map((i) => [i.recipient, i])).values()].map((i) => ({
            address: i.recipient,
            notify: i.notify,
            orcpt: i.orcpt,
          })),
          raw,
          ret: first.ret,
          envid: first.envid,
        });
        await commitResults(ctx, sortOutcomes(group, outcomes, host));
        ctx.release(group);
      }

      // Keep the connection for what falls due meanwhile; linger a moment if nothing does.
      if (!ctx.isRunning() || Date.now() - born > QUEUE_LIMITS.connectionMaxAgeMs) return;
      groups = await ctx.take(domain);
      if (groups.length === 0 && session?.usable)
        groups = await ctx.idle(domain, QUEUE_LIMITS.connectionLingerMs);
      if (groups.length === 0) return;
    }
  } finally {
    session?.quit();
  }
}

/** RFC 5321 §5.1: the hosts in order until one answers with a greeting we can use. */
async function connectFirst(
  ctx: WorkerContext,
  domain: string,
  hosts: readonly DeliveryHost[],
): Promise<
  { kind: "connected"; session: SmtpSession; host: string } | { kind: "unreachable"; detail: string }
> {
  const errors: string[] = [];
  for (const candidate of hosts) {
    const host = candidate.port === 25 ? candidate.host : `${candidate.host}:${candidate.port}`;
    // The addresses our resolver found for the name, in order (RFC 5321 §5.1); else the name itself.
    for (const address of candidate.addresses ?? [candidate.host]) {
      const connected = await smtpConnect({
        host: address,
        port: candidate.port,
        helo: ctx.hostname,
        ...(address !== candidate.host ? { servername: candidate.host } : {}),
      });
      if (connected.kind === "connected") return { kind: "connected", session: connected.session, host };
      const where = address === candidate.host ? host : `${host} [${address}]`;
      errors.push(`${where}: ${connected.reply}`);
      ctx.log.info("queue.host_unreachable", { domain, host, address, error: connected.reply });
    }
  }
  // A greeting that refuses us (554) is still worth another try later: it may be one host's mood.
  return { kind: "unreachable", detail: `no host for ${domain} took the connection (${errors.join("; ")})` };
}
