/**
 * The public listeners and the ACME client under Deno 2: a Deno child gets its certificate from
 * pebble over HTTP-01 (Deno's TLS refuses the TLS-ALPN-01 certificate's critical extension, so the
 * runtime seam turns that challenge off), presents it on every TLS listener, serves the MTA-STS
 * policy host and autoconfig on the public listeners (node:http over our sockets) and /metrics.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AcmeSetup, HOSTNAME, presented, startAcmeSetup } from "../acme/helpers.ts";
import { type ChildServer, startChildServer } from "../harness/child-server.ts";
import { eventually } from "../harness/eventually.ts";
import { hasCommand } from "../harness/run.ts";

let setup: AcmeSetup | undefined;
let server: ChildServer | undefined;
let dir: string;
let httpPort: number;
const token = "deno-acme-token-0123456789";

beforeAll(async () => {
  if (!(await hasCommand("deno"))) return;
  setup = await startAcmeSetup();
  dir = mkdtempSync(join(tmpdir(), "mailroom-deno-acme-"));
  httpPort = setup.httpPort;
  server = await startChildServer({
    command: ["deno", "run", "-A", "--node-modules-dir=manual", "src/runtime/deno.ts", "serve"],
    env: {
      MAILROOM_DATA_DIR: dir,
      MAILROOM_HOSTNAME: HOSTNAME,
      MAILROOM_DOMAIN: "example.com",
      MAILROOM_ADMIN_TOKEN: token,
      MAILROOM_DNS_SERVERS: `127.0.0.1:${setup.dns.port}`,
      MAILROOM_ACME_DIRECTORY: setup.pebble.directory,
      MAILROOM_ACME_CA_FILE: setup.pebble.caFile,
      MAILROOM_PUBLIC_HTTPS_PORT: String(setup.tlsPort),
      MAILROOM_PUBLIC_HTTP_PORT: String(httpPort),
      MAILROOM_IMAPS_PORT: "0",
      DENO_NO_UPDATE_CHECK: "1",
    },
  });
}, 60_000);

afterAll(async () => {
  if (server) {
    server.process.kill("SIGTERM");
    await server.exited;
    rmSync(dir, { recursive: true, force: true });
  }
  await setup?.stop();
});

test("under Deno the server gets its certificate over HTTP-01 and serves autoconfig and /metrics", async () => {
  if (!server || !setup) {
    console.warn("deno is not installed (npm install -g deno@2.9.6): skipped");
    return;
  }
  const root = await setup.pebble.issuingRoot();
  await eventually(
    async () => (await presented(server!.imapsPort!, HOSTNAME, root).catch(() => undefined))?.authorized,
    "the IMAPS listener presenting a certificate from pebble",
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  expect((await presented(setup.tlsPort, "mta-sts.example.com", root)).authorized).toBe(true);
  const config = await fetch(
    `http://127.0.0.1:${httpPort}/mail/config-v1.1.xml?emailaddress=u%40example.com`,
  );
  expect(config.status).toBe(200);
  expect(await config.text()).toContain('<emailProvider id="example.com">');
  const metrics = await fetch(`http://127.0.0.1:${server.httpPort}/metrics`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(await metrics.text()).toMatch(/^mailroom_info\{version="[^"]+",runtime="deno [^"]+"\} 1$/m);
}, 60_000);
