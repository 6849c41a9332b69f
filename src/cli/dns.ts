/**
 * `mailroom dns DOMAIN [--format table|zone|json]`: the DNS records a local domain needs and, in
 * the table and JSON forms, whether DNS serves them (the same answers as GET
 * /api/v1/domains/{domain}/dns). Reads the data directory's database through the store, so it may
 * run beside a running server; a domain without DKIM keys gets them here, as the server would.
 */
import type { CheckedRecord } from "../auth/dns-check.ts";
import { publishSettingsOf } from "../auth/dns-records.ts";
import { Deliverability, DkimKeeper } from "../auth/mod.ts";
import type { Config } from "../config.ts";
import { DnsResolver, systemDnsServers } from "../dns/mod.ts";
import { createLogger } from "../log.ts";
import { domainCreate, domainFind, domainNormalize, type EmbeddedMigrations, Store } from "../store/mod.ts";

export interface DnsCommandInput {
  config: Config;
  migrations: EmbeddedMigrations;
  domain: string | undefined;
  format: string | undefined;
  /** Where the records go (stdout) and where errors go (stderr). */
  out?: (text: string) => void;
  err?: (text: string) => void;
}

/** Runs the command; returns the exit code (2: bad usage, 1: not a local domain). */
export async function dnsCommand(input: DnsCommandInput): Promise<number> {
  const out = input.out ?? ((text: string) => process.stdout.write(text));
  const err = input.err ?? ((text: string) => process.stderr.write(text));
  // stdout carries the records; log lines (a key generated, say) go to stderr.
  const log = createLogger({ level: input.config.logLevel, write: (line) => err(`${line}\n`) });
  const format = input.format ?? "table";
  if (!input.domain || !["table", "zone", "json"].includes(format)) {
    err("usage: mailroom dns DOMAIN [--format table|zone|json]\n");
    return 2;
  }
  let domain: string;
  try {
    domain = domainNormalize(input.domain);
  } catch {
    err(`mailroom: "${input.domain}" is not a domain name\n`);
    return 2;
  }
  const store = await Store.open(input.config.databaseUrl, input.migrations);
  const servers = input.config.dnsServers.length > 0 ? input.config.dnsServers : systemDnsServers();
  const resolver = new DnsResolver({ servers, log });
  const keeper = new DkimKeeper({ store, log, graceMs: input.config.dkimGrace });
  try {
    // The primary domain is local even before the first start (which creates it): create it as that would.
    if (domain === input.config.domain)
      await store.write((w) => domainCreate(w, domain, { ifMissing: true }));
    if (!(await domainFind(store.read, domain))) {
      err(`mailroom: ${domain} is not a local domain (add it with POST /api/v1/domains)\n`);
      return 1;
    }
    const deliverability = new Deliverability({
      store,
      keeper,
      resolver,
      settings: publishSettingsOf(input.config),
    });
    if (format === "zone") {
      out(await deliverability.zone(domain));
      return 0;
    }
    const records = await deliverability.check(domain);
    if (format === "json") out(`${JSON.stringify({ items: records }, null, 2)}\n`);
    else out(table(domain, records, servers.map((s) => `${s.host}:${s.port}`).join(", ")));
    return 0;
  } finally {
    await keeper.stop();
    resolver.close();
    await store.close();
  }
}

/** One row per record (status, type, name, value), with its purpose and what DNS served below it. */
function table(domain: string, records: readonly CheckedRecord[], servers: string): string {
  const typeWidth = Math.max(4, ...records.map((r) => r.type.length));
  const nameWidth = Math.max(4, ...records.filter((r) => r.type !== "FILE").map((r) => r.name.length));
  const indent = " ".repeat(11);
  const lines = [`DNS records for ${domain} (checked with ${servers || "no DNS server"})`, ""];
  lines.push(`${"STATUS".padEnd(10)} ${"TYPE".padEnd(typeWidth)} ${"NAME".padEnd(nameWidth)} VALUE`);
  const counts = new Map<string, number>();
  for (const r of records) {
    counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
    if (r.type === "FILE") {
      lines.push(`${r.status.padEnd(10)} ${r.type.padEnd(typeWidth)} ${r.name}`);
      for (const line of r.value.split(/\r?\n/).filter((l) => l !== "")) lines.push(`${indent}  ${line}`);
    } else {
      lines.push(`${r.status.padEnd(10)} ${r.type.padEnd(typeWidth)} ${r.name.padEnd(nameWidth)} ${r.value}`);
    }
    lines.push(`${indent}${r.purpose}`);
    if (r.status === "different") for (const f of r.found) lines.push(`${indent}found: ${f}`);
    if (r.error) lines.push(`${indent}error: ${r.error}`);
  }
  const summary = ["ok", "missing", "different", "unknown", "unchecked"]
    .filter((s) => counts.has(s))
    .map((s) => `${counts.get(s)} ${s}`)
    .join(", ");
  lines.push("", summary, "");
  return lines.join("\n");
}
