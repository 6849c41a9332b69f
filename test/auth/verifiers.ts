/**
 * The verifiers the DKIM tests check our signatures with, both asking a real DNS server (Knot, from
 * test/harness/dns-server.ts) for the keys: mailauth's dkimVerify over our own resolver, and an
 * independent one, Debian's python3-dkim (dkimpy, test/auth/dkimpy-verify.py) with dnspython.
 * Also: the records of GET /api/v1/domains/{domain}/dns turned into a zone for Knot.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DNSResolver } from "mailauth";
// The file itself: mailauth has no exports map (see test/dns/mailauth-scenario.ts).
import { dkimVerify } from "mailauth/lib/dkim/verify.js";
import type { DnsRecordItem } from "../../src/auth/dns-records.ts";
import { DnsResolver, type DnsServer, mailauthResolver } from "../../src/dns/mod.ts";
import type { Zone, ZoneRecord } from "../harness/dns-server.ts";
import { run } from "../harness/run.ts";

export interface Verdict {
  domain: string;
  selector: string;
  algorithm: string;
  /** "pass", or what went wrong ("fail", "neutral", "temperror", ...). */
  result: string;
}

/** mailauth's verifier (the one inbound checks will use) over a resolver of ours pointed at `server`. */
export async function mailauthVerdicts(raw: Uint8Array | string, server: DnsServer): Promise<Verdict[]> {
  const dns = new DnsResolver({ servers: [server], timeoutMs: 1_000 });
  try {
    const result = await dkimVerify(Buffer.from(raw), {
      // mailauth's type says string arrays only; MX answers are objects, as with node:dns.
      resolver: mailauthResolver(dns) as DNSResolver,
    });
    return result.results
      .map((r) => ({
        domain: r.signingDomain ?? "",
        selector: r.selector ?? "",
        algorithm: r.algo ?? "",
        result: r.status.result,
      }))
      .sort((a, b) => a.algorithm.localeCompare(b.algorithm));
  } finally {
    dns.close();
  }
}

const PYTHON = "/usr/bin/python3";

/** dkimpy (Debian python3-dkim): an implementation that shares no code with ours or mailauth's. */
export async function dkimpyVerdicts(raw: Uint8Array | string, server: DnsServer): Promise<Verdict[]> {
  return (await dkimpyVerdictsOfEach([raw], server))[0]!;
}

/** dkimpy on several messages in one process (one Python start-up instead of one per message). */
export async function dkimpyVerdictsOfEach(
  messages: ReadonlyArray<Uint8Array | string>,
  server: DnsServer,
): Promise<Verdict[][]> {
  const script = join(import.meta.dir, "dkimpy-verify.py");
  // The exact bytes, through files: a pipe fed a string would re-encode 8-bit octets.
  const dir = mkdtempSync(join(tmpdir(), "mailroom-dkimpy-"));
  const files = messages.map((raw, i) => {
    const file = join(dir, `${i}.eml`);
    writeFileSync(file, typeof raw === "string" ? Buffer.from(raw, "utf8") : raw);
    return file;
  });
  const result = await run(PYTHON, [script, server.host, String(server.port), ...files], {
    timeoutMs: 60_000,
  }).finally(() => rmSync(dir, { recursive: true, force: true }));
  if (result.code !== 0)
    throw new Error(
      `dkimpy failed (${result.code}): ${result.stderr}\n(apt-get install python3-dkim python3-dnspython; .ci/run does)`,
    );
  return result.stdout
    .trim()
    .split("\n")
    .map((line) =>
      (JSON.parse(line) as Array<{ d: string; s: string; a: string; ok: boolean; error: string | null }>)
        .map((r) => ({
          domain: r.d,
          selector: r.s,
          algorithm: r.a,
          result: r.ok ? "pass" : `fail${r.error ? `: ${r.error}` : ""}`,
        }))
        .sort((a, b) => a.algorithm.localeCompare(b.algorithm)),
    );
}

/** The DNS records of a /dns answer that belong in `origin`'s zone, as Knot zone data. */
export function zoneOf(
  origin: string,
  items: readonly DnsRecordItem[],
  options: { ttl?: number } = {},
): Zone {
  const inZone = (name: string) => name === origin || name.endsWith(`.${origin}`);
  const records: ZoneRecord[] = items
    .filter((i) => i.type !== "FILE" && inZone(i.name))
    .map((i) => {
      let value = i.value;
      if (i.type === "MX" || i.type === "SRV" || i.type === "CNAME") {
        const fields = value.split(" ");
        const last = fields[fields.length - 1]!;
        fields[fields.length - 1] = last === "." ? "." : `${last}.`;
        value = fields.join(" ");
      }
      return { name: `${i.name}.`, type: i.type, ttl: options.ttl ?? 0, value };
    });
  // Negative answers are not cached (SOA minimum 0), so a record added later is seen at once.
  return { origin, records, negativeTtl: 0 };
}
