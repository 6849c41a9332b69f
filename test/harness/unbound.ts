/**
 * A validating recursive resolver for the DANE tests: Debian's `unbound`, started in the foreground
 * on a free loopback port with its own configuration in a temp dir. It asks the test's Knot server
 * (stub zones) and validates with DNSSEC, trusting the signed test zones' keys (trust-anchor from
 * their DNSKEY); unsigned zones are `domain-insecure`. Our resolver pointed at it sees a real AD bit.
 * Nothing of the system's unbound service is used; `.ci/run` installs the package.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DnsServer } from "../../src/dns/mod.ts";
import type { TestDnsServer } from "./dns-server.ts";
import { run } from "./run.ts";

const HOST = "127.0.0.1";

export interface TestUnbound {
  server: DnsServer;
  log(): string;
  stop(): Promise<void>;
}

function binary(name: string): string {
  for (const dir of (process.env.PATH ?? "").split(":").concat(["/usr/sbin", "/usr/bin"])) {
    const path = join(dir, name);
    if (dir && existsSync(path)) return path;
  }
  throw new Error(
    `${name} not found: the DANE tests need unbound (apt-get install unbound; .ci/run installs it)`,
  );
}

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

/** The zone's key-signing DNSKEY records, as knot serves them (what unbound is told to trust). */
export async function zoneTrustAnchors(knot: TestDnsServer, origin: string): Promise<string[]> {
  const zone = `${origin.replace(/\.$/, "")}.`;
  const result = await run(
    binary("kdig"),
    [`@${knot.server.host}`, "-p", String(knot.server.port), "+noall", "+answer", "+norec", zone, "DNSKEY"],
    { timeoutMs: 10_000 },
  );
  const keys = result.stdout
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[3] === "DNSKEY" && f[4] === "257")
    .map((f) => `${zone} DNSKEY ${f.slice(4).join(" ")}`);
  if (keys.length === 0)
    throw new Error(`no KSK DNSKEY for ${zone} from knot: ${result.stdout}${result.stderr}`);
  return keys;
}

/**
 * Starts unbound in front of `knot` for `zones`: `signed` ones validated with their keys, the others
 * insecure. Names outside the zones are refused (no root, no internet).
 */
export async function startUnbound(
  knot: TestDnsServer,
  zones: { signed: string[]; insecure: string[] },
): Promise<TestUnbound> {
  const unbound = binary("unbound");
  const anchors = (await Promise.all(zones.signed.map((z) => zoneTrustAnchors(knot, z)))).flat();
  for (let attempt = 0; ; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), "mailroom-unbound-"));
    const port = await freeDualPort();
    const all = [...zones.signed, ...zones.insecure].map((z) => z.replace(/\.$/, ""));
    const config = [
      "server:",
      `  interface: ${HOST}@${port}`,
      `  port: ${port}`,
      "  do-daemonize: no",
      '  username: ""',
      '  chroot: ""',
      `  directory: "${dir}"`,
      '  pidfile: ""',
      "  use-syslog: no",
      '  logfile: ""',
      "  verbosity: 1",
      "  val-log-level: 2",
      "  num-threads: 1",
      "  do-ip6: no",
      "  do-not-query-localhost: no",
      "  access-control: 127.0.0.0/8 allow",
      '  module-config: "validator iterator"',
      "  qname-minimisation: no",
      "  aggressive-nsec: no",
      "  prefetch: no",
      "  so-reuseport: no",
      "  outgoing-range: 64",
      "  num-queries-per-thread: 64",
      // Our names only: nothing is sent to the root servers.
      '  local-zone: "." refuse',
      ...all.map((z) => `  local-zone: "${z}." transparent`),
      ...anchors.map((a) => `  trust-anchor: "${a}"`),
      ...zones.insecure.map((z) => `  domain-insecure: "${z.replace(/\.$/, "")}."`),
      ...all.flatMap((z) => [
        "stub-zone:",
        `  name: "${z}."`,
        `  stub-addr: ${knot.server.host}@${knot.server.port}`,
        "  stub-prime: no",
      ]),
      "remote-control:",
      "  control-enable: no",
      "",
    ].join("\n");
    const file = join(dir, "unbound.conf");
    writeFileSync(file, config);
    const child = spawn(unbound, ["-d", "-c", file], { stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    for (const stream of [child.stdout!, child.stderr!])
      stream.setEncoding("utf8").on("data", (d: string) => {
        log += d;
      });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const ready = await waitReady(child, () => log, exited);
    if (ready !== "ready") {
      child.kill("SIGKILL");
      await exited;
      rmSync(dir, { recursive: true, force: true });
      if (ready === "port" && attempt < 3) continue;
      throw new Error(`unbound did not start:\n${log}`);
    }
    return {
      server: { host: HOST, port },
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

function waitReady(
  child: ChildProcess,
  log: () => string,
  exited: Promise<number | null>,
): Promise<"ready" | "port" | "failed"> {
  return new Promise((resolve) => {
    const check = () => {
      const text = log();
      if (/could not open ports|Address already in use|can't bind/i.test(text)) return finish("port");
      if (/start of service/i.test(text)) finish("ready");
    };
    const finish = (result: "ready" | "port" | "failed") => {
      clearTimeout(timer);
      child.stderr!.off("data", check);
      child.stdout!.off("data", check);
      resolve(result);
    };
    const timer = setTimeout(() => finish("failed"), 20_000);
    child.stderr!.on("data", check);
    child.stdout!.on("data", check);
    exited.then(() => finish("failed"));
  });
}
