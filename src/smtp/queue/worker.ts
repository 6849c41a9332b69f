/**
 * A delivery worker: one connection to one destination domain, carrying transaction after
 * transaction (RFC 5321 §3.3: a new MAIL after the previous 250) — first the groups it was started
 * with, then whatever falls due for the domain meanwhile, lingering a moment for more before it
 * says QUIT. Each transaction's result is committed before the next one starts.
 *
 * The connection is made under the domain's transport-security policy (DANE, MTA-STS; connect.ts).
 * Per message it checks what the envelope demands of the next hop: REQUIRETLS (RFC 8689) and
 * SMTPUTF8 (RFC 6531); `TLS-Required: No` (RFC 8689 §5) lets a message go without the policy.
 */

import type { ChaosRules } from "../../chaos/rules.ts";
import type { Route } from "../../config.ts";
import type { DnsResolver } from "../../dns/mod.ts";
import { contentRaw, type QueueItem, queueRemove } from "../../store/mod.ts";
import type { SmtpSession } from "../delivery/client.ts";
import { routeResolve } from "../delivery/routes.ts";
import { domainTlsPolicy, verifiedForRequireTls } from "../delivery/tls-policy.ts";
import { SMTP_LIMITS } from "../limits.ts";
import { receivedCount } from "../trace-headers.ts";
import { deliveryChaos } from "./chaos.ts";
import { type ConnectContext, type Connected, connectFirst, recordTls } from "./connect.ts";
import { needsSmtpUtf8, tlsRequiredNo } from "./envelope-needs.ts";
import { QUEUE_LIMITS } from "./limits.ts";
import { commitResults, type ResultContext, sortOutcomes, type TempFailure } from "./results.ts";

/** What delivery asks DNS: routing (MX, addresses) and policy (MTA-STS TXT, TLSA). */
export type DeliveryResolver = Pick<DnsResolver, "mx" | "a" | "aaaa" | "txt" | "tlsa">;

export interface WorkerContext extends ResultContext, ConnectContext {
  routes: readonly Route[];
  resolver: DeliveryResolver;
  /** MAILROOM_MTA_STS_PORT (443). */
  mtaStsPort: number;
  /** Port of MX hosts (25; tests give another). */
  mxPort?: number;
  /** RFC 8461 §3.3 fetch timeout; TLS_POLICY_LIMITS.fetchTimeoutMs unless a test shortens it. */
  mtaStsTimeoutMs?: number;
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
  /** Issue 16: fault injection (src/chaos/); absent or disabled, nothing is injected. */
  chaos?: ChaosRules | undefined;
}

export async function runWorker(ctx: WorkerContext, domain: string, initial: QueueItem[][]): Promise<void> {
  const route = await routeResolve(domain, {
    routes: ctx.routes,
    resolver: ctx.resolver,
    ...(ctx.mxPort ? { mxPort: ctx.mxPort } : {}),
  });
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
  const policy = await domainTlsPolicy(domain, route.hosts, {
    store: ctx.store,
    resolver: ctx.resolver,
    log: ctx.log,
    port: ctx.mtaStsPort,
    ...(ctx.extraCa ? { extraCa: ctx.extraCa } : {}),
    ...(ctx.mtaStsTimeoutMs ? { timeoutMs: ctx.mtaStsTimeoutMs } : {}),
  });
  // RFC 8460 §4.3.2.2: a policy announced but not obtainable is reported; delivery goes on without it.
  if (policy.sts?.kind === "failed")
    await recordTls(
      ctx,
      domain,
      { kind: "sts-failed" },
      { result: policy.sts.result, reason: policy.sts.reason },
    );

  const born = Date.now();
  let connection: Connected | undefined;
  const pending = [...initial];
  try {
    for (;;) {
      while (pending.length > 0) {
        const group = pending.shift()!;
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
        // Issue 16: fault injection decides some (or all) recipients' outcomes instead of the next hop.
        const injected = (await deliveryChaos(ctx.chaos, ctx.log, domain, group)) ?? [];
        const toSend = group.filter((i) => !injected.some((o) => o.address === i.recipient));
        if (toSend.length === 0) {
          await commitResults(ctx, sortOutcomes(group, injected, "fault injection"));
          ctx.release(group);
          continue;
        }
        // RFC 8689 §4.1: REQUIRETLS wins over a TLS-Required: No header.
        const optional = !first.requireTls && tlsRequiredNo(raw);
        if (connection && (!connection.session.usable || (!optional && !connection.satisfied))) {
          connection.session.quit();
          connection = undefined;
        }
        if (!connection) {
          const connected = await connectFirst(ctx, domain, route.hosts, policy, { ignorePolicy: optional });
          if (connected.kind === "unreachable") {
            // The same hosts would refuse the rest too (those that connect the same way): defer them now.
            const failure: TempFailure = {
              status: connected.security ? "4.7.5" : "4.4.1",
              reply: null,
              detail: connected.detail,
              remoteMta: null,
            };
            // A host that is down is down for every message. A host refused for its TLS is refused
            // for every message that needs the policy; only TLS-Required: No mail may still go.
            const keep: QueueItem[][] = [];
            const defer: QueueItem[][] = [group];
            for (const g of pending) {
              const mayIgnore =
                connected.security &&
                !optional &&
                !g[0]!.requireTls &&
                tlsRequiredNo((await contentRaw(ctx.store.read, g[0]!.contentId)) ?? new Uint8Array());
              (mayIgnore ? keep : defer).push(g);
            }
            pending.length = 0;
            pending.push(...keep);
            const items = defer.flat();
            await commitResults(ctx, { temporary: items.map((item) => ({ item, failure })) });
            ctx.release(items);
            if (pending.length === 0) return;
            continue;
          }
          connection = connected;
        }
        const refusal = envelopeRefusal(connection, group, raw);
        if (refusal) {
          await commitResults(ctx, {
            failed: group.map((item) => ({ item, ...refusal, remoteMta: connection!.host })),
          });
          ctx.release(group);
          continue;
        }
        const session: SmtpSession = connection.session;
        const outcomes = await session.send({
          sender: first.sender,
          // One RCPT per address even if it was queued twice; every row gets the result.
          recipients: [...new Map(toSend.map((i) => [i.recipient, i])).values()].map((i) => ({
            address: i.recipient,
            notify: i.notify,
            orcpt: i.orcpt,
          })),
          raw,
          ret: first.ret,
          envid: first.envid,
          requireTls: first.requireTls,
        });
        const results = sortOutcomes(group, [...outcomes, ...injected], connection.host);
        // RFC 3461 §5.2.2.1: without DSN at the next hop, nobody after us reports success.
        if (!session.extensions.has("DSN")) results.relayedWithoutDsn = results.delivered;
        await commitResults(ctx, results);
        ctx.release(group);
      }

      // Keep the connection for what falls due meanwhile; linger a moment if nothing does.
      if (!ctx.isRunning() || Date.now() - born > QUEUE_LIMITS.connectionMaxAgeMs) return;
      let more = await ctx.take(domain);
      if (more.length === 0 && connection?.session.usable)
        more = await ctx.idle(domain, QUEUE_LIMITS.connectionLingerMs);
      if (more.length === 0) return;
      pending.push(...more);
    }
  } finally {
    connection?.session.quit();
  }
}

/**
 * What the next hop cannot take from this envelope, as a permanent failure: REQUIRETLS without
 * authenticated TLS or without the extension (RFC 8689 §4.2.1, 5.7.30), SMTPUTF8 mail to a server
 * without SMTPUTF8 (RFC 6531 §3.4, 5.6.7).
 */
function envelopeRefusal(
  connection: Connected,
  group: readonly QueueItem[],
  raw: Uint8Array,
): { status: string; detail: string } | undefined {
  const first = group[0]!;
  const { session } = connection;
  if (first.requireTls) {
    if (!verifiedForRequireTls(connection.policy, session.encrypted, session.tlsCheck))
      return {
        status: "5.7.30",
        detail: `REQUIRETLS: no authenticated TLS (DANE or an MTA-STS enforce policy) to ${connection.host}`,
      };
    if (!session.extensions.has("REQUIRETLS"))
      return { status: "5.7.30", detail: `REQUIRETLS: ${connection.host} does not support REQUIRETLS` };
  }
  if (
    first.smtpUtf8 &&
    !session.extensions.has("SMTPUTF8") &&
    needsSmtpUtf8(
      raw,
      first.sender,
      group.map((i) => i.recipient),
    )
  )
    return {
      status: "5.6.7",
      detail: `${connection.host} does not support SMTPUTF8, which this message needs`,
    };
  return undefined;
}
