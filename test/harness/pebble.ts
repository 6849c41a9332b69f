/**
 * A real ACME server for tests: Let's Encrypt's pebble (Debian's `pebble`), started in the
 * foreground with its own config JSON in a temp dir: its HTTPS certificate issued by a test CA (the
 * file MAILROOM_ACME_CA_FILE points at), `-dnsserver` pointed at the test Knot server so that it
 * resolves our names to loopback, real validation (PEBBLE_VA_ALWAYS_VALID=0) against the ports the
 * test's server listens on (httpPort for HTTP-01, tlsPort for TLS-ALPN-01), no artificial sleeps.
 * Pebble rejects 5% of good nonces by default, which keeps the client's badNonce retry honest.
 * `.ci/run` installs the package; a missing pebble fails the test with a clear message.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DnsServer } from "../../src/dns/mod.ts";
import { eventually } from "./eventually.ts";
import { createTestCa, type TestCa } from "./test-ca.ts";

export interface TestPebble {
  /** The directory URL (MAILROOM_ACME_DIRECTORY), on a name the test DNS must resolve to 127.0.0.1. */
  directory: string;
  /** The CA of pebble's own HTTPS certificate (MAILROOM_ACME_CA_FILE). */
  caFile: string;
  /** The root pebble issues certificates under (it makes a new one at every start). */
  issuingRoot(): Promise<string>;
  log(): string;
  stop(): Promise<void>;
}

export interface PebbleOptions {
  /** The DNS server pebble's validation authority asks. */
  dns: DnsServer;
  /** Where pebble connects for HTTP-01 and TLS-ALPN-01 (the server under test's public listeners). */
  httpPort: number;
  tlsPort: number;
  /** The name in the directory URL (and in pebble's certificate). */
  hostname: string;
  /** Lifetime of issued certificates in seconds (pebble's certificateValidityPeriod; default ~5 years). */
  validitySeconds?: number;
}

function pebbleBinary(): string {
  for (const path of ["/usr/bin/pebble", "/usr/local/bin/pebble"]) if (existsSync(path)) return path;
  throw new Error(
    "pebble not found: the ACME tests need Debian's pebble (apt-get install pebble; .ci/run installs it)",
  );
}

/** A TCP port free on loopback now (the test's server binds it a moment later). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startPebble(options: PebbleOptions): Promise<TestPebble> {
  const binary = pebbleBinary();
  const ca: TestCa = await createTestCa("Pebble HTTPS Test CA");
  const leaf = await ca.issue([options.hostname]);
  const dir = mkdtempSync(join(tmpdir(), "mailroom-pebble-"));
  writeFileSync(join(dir, "cert.pem"), leaf.certPem);
  writeFileSync(join(dir, "key.pem"), leaf.keyPem);
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const management = await freePort();
    const config = {
      pebble: {
        listenAddress: `127.0.0.1:${port}`,
        managementListenAddress: `127.0.0.1:${management}`,
        certificate: join(dir, "cert.pem"),
        privateKey: join(dir, "key.pem"),
        httpPort: options.httpPort,
        tlsPort: options.tlsPort,
        ocspResponderURL: "",
        externalAccountBindingRequired: false,
        ...(options.validitySeconds ? { certificateValidityPeriod: options.validitySeconds } : {}),
      },
    };
    writeFileSync(join(dir, "pebble.json"), JSON.stringify(config));
    const child = spawn(
      binary,
      ["-config", join(dir, "pebble.json"), "-dnsserver", `${options.dns.host}:${options.dns.port}`],
      {
        cwd: dir,
        env: { ...process.env, PEBBLE_VA_NOSLEEP: "1", PEBBLE_VA_ALWAYS_VALID: "0" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let log = "";
    const append = (d: string) => {
      log += d;
    };
    child.stdout!.setEncoding("utf8").on("data", append);
    child.stderr!.setEncoding("utf8").on("data", append);
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const ready = await waitReady(child, () => log, exited);
    if (ready !== "ready") {
      child.kill("SIGKILL");
      await exited;
      if (ready === "port" && attempt < 3) continue;
      ca.remove();
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`pebble did not start:\n${log}`);
    }
    const directory = `https://${options.hostname}:${port}/dir`;
    return {
      directory,
      caFile: ca.caFile,
      // Pebble logs its root's URL before the management listener has bound: until it has, the
      // connection is refused, so that (and only that) is asked again.
      issuingRoot: () =>
        eventually(
          () =>
            httpsGet(`https://127.0.0.1:${management}/roots/0`, ca.caPem, options.hostname).catch(
              (error: NodeJS.ErrnoException) => {
                if (error.code === "ECONNREFUSED") return undefined;
                throw error;
              },
            ),
          "pebble's management listener",
        ),
      log: () => log,
      async stop() {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
        ca.remove();
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
      if (/address already in use/i.test(text)) return finish("port");
      // Pebble logs the directory URL once its ACME listener is up.
      if (/Root CA certificate available at/.test(text) && /Listening on/.test(text)) finish("ready");
    };
    const finish = (result: "ready" | "port" | "failed") => {
      clearTimeout(timer);
      child.stdout!.off("data", check);
      child.stderr!.off("data", check);
      resolve(result);
    };
    const timer = setTimeout(() => finish("failed"), 20_000);
    child.stdout!.on("data", check);
    child.stderr!.on("data", check);
    exited.then(() => finish("failed"));
  });
}

function httpsGet(url: string, ca: string, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, servername, headers: { host: servername } }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => {
        body += d;
      });
      res.on("end", () =>
        res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: ${res.statusCode}`)),
      );
    });
    req.on("error", reject);
    req.end();
  });
}
