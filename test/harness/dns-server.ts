/**
 * A real authoritative DNS server for tests: Knot DNS (`knotd`, Debian's `knot`), started in the
 * foreground on a free loopback port (UDP and TCP) with its own configuration, storage and control
 * socket in a temp dir, serving the zones a test gives as data. Nothing of the system's knot
 * service is used; `.ci/run` installs the package. A missing knotd fails the test with a clear
 * message rather than skipping it.
 *
 * Why Knot (not dnsmasq): it is a full authoritative server — TLSA and any other type from the zone
 * file, TXT records of many strings, a real SOA for negative answers, truncation over UDP, SERVFAIL
 * for a zone that fails to load, REFUSED outside its zones — and it signs zones with DNSSEC by
 * itself, which the DANE tests need behind a validating resolver.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DnsServer } from "../../src/dns/mod.ts";
import { run } from "./run.ts";

export interface ZoneRecord {
  /** Relative to the zone ("@", "mx", "_dmarc") or absolute with a trailing dot. */
  name: string;
  /** Any type knot reads from a zone file: A, AAAA, MX, TXT, PTR, CNAME, TLSA, SRV, ... */
  type: string;
  /** Seconds; the zone's default (300) when absent. */
  ttl?: number;
  /**
   * The record's data in zone-file form ("10 mx.example.org.", "3 1 1 ab12..."), except TXT: its
   * text as it is (quoted and split into strings of 255 bytes here), or the strings themselves.
   */
  value: string | string[];
}

export interface Zone {
  /** The zone's apex, e.g. "example.org" (without the trailing dot). */
  origin: string;
  records: ZoneRecord[];
  /** The SOA MINIMUM (the negative-caching TTL of RFC 2308 §5) and the SOA's own TTL; 60 s each by default. */
  negativeTtl?: number;
  /** A zone that does not load: knot answers SERVFAIL for every name in it. */
  broken?: boolean;
  /** Signed by knot (automatic DNSSEC signing with its default policy). */
  dnssec?: boolean;
}

export interface TestDnsServer {
  /** Where the resolver should send its queries. */
  server: DnsServer;
  port: number;
  /** Replaces a zone's records and waits until knot serves the new ones. */
  setZone(zone: Zone): Promise<void>;
  /** Queries knot has answered so far, by type (mod-stats), e.g. { TXT: 3, A: 1 }. */
  queryCounts(): Promise<Record<string, number>>;
  /** Queries so far by transport (mod-stats request-protocol), e.g. { udp4: 5, tcp4: 1 }. */
  protocolCounts(): Promise<Record<string, number>>;
  /** Everything knotd logged. */
  log(): string;
  stop(): Promise<void>;
}

const HOST = "127.0.0.1";

function knotBinary(name: "knotd" | "knotc"): string {
  for (const dir of (process.env.PATH ?? "").split(":").concat(["/usr/sbin", "/usr/bin"])) {
    const path = join(dir, name);
    if (dir && existsSync(path)) return path;
  }
  throw new Error(
    `${name} not found: the DNS tests need Knot DNS (apt-get install knot knot-dnsutils; .ci/run installs it)`,
  );
}

/** TXT text as zone-file strings: each at most 255 bytes (RFC 1035 §3.3.14), quotes and backslashes escaped. */
function txtStrings(value: string | string[]): string {
  const parts: string[] = [];
  if (Array.isArray(value)) parts.push(...value);
  else {
    const bytes = Buffer.from(value);
    for (let i = 0; i < bytes.length || i === 0; i += 255) parts.push(bytes.subarray(i, i + 255).toString());
  }
  return parts.map((p) => `"${p.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(" ");
}

let serial = Math.floor(Date.now() / 1000);

function zoneText(zone: Zone): string {
  if (zone.broken) return "this line is not a resource record\n";
  const origin = `${zone.origin.replace(/\.$/, "")}.`;
  const negative = zone.negativeTtl ?? 60;
  const lines = [
    `$ORIGIN ${origin}`,
    "$TTL 300",
    `@ ${negative} IN SOA ns.${origin} hostmaster.${origin} ${++serial} 3600 600 86400 ${negative}`,
    `@ IN NS ns.${origin}`,
  ];
  if (!zone.records.some((r) => r.name === "ns" && (r.type === "A" || r.type === "AAAA")))
    lines.push(`ns IN A ${HOST}`);
  for (const r of zone.records) {
    const data = r.type.toUpperCase() === "TXT" ? txtStrings(r.value) : [r.value].flat().join(" ");
    lines.push(`${r.name} ${r.ttl ?? ""} IN ${r.type} ${data}`);
  }
  return `${lines.join("\n")}\n`;
}

function knotConfig(dir: string, port: number, zones: readonly Zone[]): string {
  return [
    "server:",
    `    rundir: "${dir}"`,
    `    listen: ${HOST}@${port}`,
    "    udp-workers: 1",
    "    tcp-workers: 1",
    "    background-workers: 1",
    "database:",
    `    storage: "${dir}"`,
    "control:",
    `    listen: "${join(dir, "knot.sock")}"`,
    "log:",
    "  - target: stderr",
    "    any: info",
    "mod-stats:",
    "  - id: counts",
    "    query-type: on",
    "    request-protocol: on",
    "template:",
    "  - id: default",
    `    storage: "${dir}"`,
    "    global-module: mod-stats/counts",
    "zone:",
    ...zones.flatMap((z) => [
      `  - domain: ${z.origin.replace(/\.$/, "")}.`,
      `    file: "${zoneFile(dir, z)}"`,
      ...(z.dnssec ? ["    dnssec-signing: on"] : []),
    ]),
    "",
  ].join("\n");
}

function zoneFile(dir: string, zone: Zone): string {
  return join(dir, `${zone.origin.replace(/\.$/, "")}.zone`);
}

/** A port free on loopback for both UDP and TCP at this moment. */
async function freeDualPort(): Promise<number> {
  for (;;) {
    const udp = createSocket("udp4");
    const port = await new Promise<number>((resolve, reject) => {
      udp.once("error", reject);
      udp.bind(0, HOST, () => resolve(udp.address().port));
    });
    const tcpFree = await new Promise<boolean>((resolve) => {
      const tcp = createServer();
      tcp.once("error", () => resolve(false));
      tcp.listen(port, HOST, () => tcp.close(() => resolve(true)));
    });
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (tcpFree) return port;
  }
}

export async function startDnsServer(zones: readonly Zone[]): Promise<TestDnsServer> {
  const knotd = knotBinary("knotd");
  const knotc = knotBinary("knotc");
  for (let attempt = 0; ; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), "mailroom-knot-"));
    const port = await freeDualPort();
    const current = new Map(zones.map((z) => [z.origin.replace(/\.$/, ""), z]));
    for (const z of current.values()) writeFileSync(zoneFile(dir, z), zoneText(z));
    const config = join(dir, "knot.conf");
    writeFileSync(config, knotConfig(dir, port, [...current.values()]));
    const child = spawn(knotd, ["-c", config], { stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      log += d;
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const ready = await waitReady(child, () => log, exited, current.size);
    if (ready !== "ready") {
      child.kill("SIGKILL");
      await exited;
      rmSync(dir, { recursive: true, force: true });
      // Someone took the port between our check and knot's bind: try another one.
      if (ready === "port" && attempt < 3) continue;
      throw new Error(`knotd did not start:\n${log}`);
    }

    const control = (...args: string[]) => run(knotc, ["-c", config, ...args], { timeoutMs: 20_000 });
    const counters = async (name: string) => {
      const result = await control("stats", `mod-stats.${name}`);
      if (result.code !== 0) throw new Error(`knotc stats failed: ${result.stdout}${result.stderr}`);
      const counts: Record<string, number> = {};
      for (const m of result.stdout.matchAll(/\[(\w+)\] = (\d+)/g)) counts[m[1]!] = Number(m[2]);
      return counts;
    };
    return {
      server: { host: HOST, port },
      port,
      async setZone(zone) {
        const origin = zone.origin.replace(/\.$/, "");
        if (!current.has(origin)) throw new Error(`zone ${origin} was not configured at start`);
        current.set(origin, zone);
        writeFileSync(zoneFile(dir, zone), zoneText(zone));
        // -b: wait until the reload is done, so the next query sees the new data.
        const result = await control("-b", "zone-reload", `${origin}.`);
        if (result.code !== 0) throw new Error(`knotc zone-reload failed: ${result.stdout}${result.stderr}`);
      },
      queryCounts: () => counters("query-type"),
      protocolCounts: () => counters("request-protocol"),
      log: () => log,
      async stop() {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

/** Waits for "server started" and a verdict on every zone (loaded, or failed on purpose). */
function waitReady(
  child: ChildProcess,
  log: () => string,
  exited: Promise<number | null>,
  zoneCount: number,
): Promise<"ready" | "port" | "failed"> {
  return new Promise((resolve) => {
    const check = () => {
      const text = log();
      if (/cannot bind|address already in use/i.test(text)) return finish("port");
      const settled = (text.match(/\] loaded, serial|zone event 'load' failed/g) ?? []).length;
      if (text.includes("server started") && settled >= zoneCount) finish("ready");
    };
    const finish = (result: "ready" | "port" | "failed") => {
      clearTimeout(timer);
      child.stderr!.off("data", check);
      resolve(result);
    };
    const timer = setTimeout(() => finish("failed"), 20_000);
    child.stderr!.on("data", check);
    exited.then(() => finish("failed"));
  });
}
