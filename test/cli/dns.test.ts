/**
 * `mailroom dns DOMAIN` as a user runs it, beside a running server on the same data directory: the
 * records the domain needs with their status in DNS (a real Knot server), the zone-file form that
 * the API gives too, JSON, a domain without keys getting them, and the usage errors.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { CheckedRecord } from "../../src/auth/dns-check.ts";
import { domainCreate } from "../../src/store/mod.ts";
import { zoneOf } from "../auth/verifiers.ts";
import { startDnsServer, type TestDnsServer } from "../harness/dns-server.ts";
import { run } from "../harness/run.ts";
import { startTestServer, type TestServer } from "../harness/server.ts";

let knot: TestDnsServer;
let server: TestServer;

beforeAll(async () => {
  knot = await startDnsServer([{ origin: "cli.example", records: [], negativeTtl: 0 }]);
  server = await startTestServer({
    hostname: "mx.cli.example",
    domain: "cli.example",
    dnsServers: [knot.server],
  });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await knot?.stop();
});

/** The CLI in a child process (never spawnSync: the server in this process must keep serving). */
function mailroom(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, [join(process.cwd(), "src/runtime/bun.ts"), ...args], {
    env: {
      MAILROOM_DATA_DIR: server.dataDir,
      MAILROOM_HOSTNAME: "mx.cli.example",
      MAILROOM_BIND: "127.0.0.1",
      MAILROOM_DNS_SERVERS: `${knot.server.host}:${knot.server.port}`,
      ...env,
    },
    timeoutMs: 30_000,
  });
}

describe("mailroom dns", () => {
  test("mailroom dns DOMAIN prints each record with its status: missing before publishing, ok after", async () => {
    const before = await mailroom(["dns", "cli.example"]);
    expect(before.code).toBe(0);
    expect(before.stdout).toContain(`DNS records for cli.example (checked with 127.0.0.1:${knot.port})`);
    expect(before.stdout).toMatch(/^STATUS\s+TYPE\s+NAME\s+VALUE$/m);
    expect(before.stdout).toMatch(/^missing\s+MX\s+cli\.example\s+10 mx\.cli\.example$/m);
    expect(before.stdout).toMatch(/^missing\s+TXT\s+_dmarc\.cli\.example\s+v=DMARC1; p=quarantine;/m);
    expect(before.stdout).toMatch(
      /^unchecked\s+FILE\s+https:\/\/mta-sts\.cli\.example\/\.well-known\/mta-sts\.txt$/m,
    );
    expect(before.stdout).toMatch(/\d+ missing, 1 unchecked\n$/);

    const { items } = (await (await server.api("/api/v1/domains/cli.example/dns")).json()) as {
      items: CheckedRecord[];
    };
    await knot.setZone(zoneOf("cli.example", items));
    const after = await mailroom(["dns", "cli.example"]);
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/^ok\s+MX\s+cli\.example\s+10 mx\.cli\.example$/m);
    expect(after.stdout).toMatch(
      /^ok\s+TXT\s+mr\d{6}[0-9a-z]{4}r\._domainkey\.cli\.example\s+v=DKIM1; k=rsa; p=/m,
    );
    expect(after.stdout).not.toMatch(/^missing/m);
    expect(after.stdout).not.toContain("PRIVATE KEY");
  }, 60_000);

  test("--format zone prints the zone fragment the API gives (the SRV ports are the configured ones)", async () => {
    const cli = await mailroom(["dns", "cli.example", "--format", "zone"]);
    expect(cli.code).toBe(0);
    const api = await (await server.api("/api/v1/domains/cli.example/dns?format=zone")).text();
    const withoutSrv = (text: string) =>
      text
        .split("\n")
        .filter((l) => !l.includes("\tSRV\t"))
        .join("\n");
    expect(withoutSrv(cli.stdout)).toBe(withoutSrv(api));
    expect(cli.stdout).toContain("cli.example.\t3600\tIN\tMX\t10 mx.cli.example.");
  }, 30_000);

  test("--format json prints the items of the API, statuses included", async () => {
    const cli = await mailroom(["dns", "cli.example", "--format=json"]);
    expect(cli.code).toBe(0);
    const { items } = JSON.parse(cli.stdout) as { items: CheckedRecord[] };
    expect(items.find((i) => i.type === "MX")).toMatchObject({ value: "10 mx.cli.example", status: "ok" });
  }, 30_000);

  test("a local domain without DKIM keys gets them from the command, and the server uses the same ones", async () => {
    await server.store.write((w) => domainCreate(w, "keyless.example"));
    const cli = await mailroom(["dns", "keyless.example", "--format", "json"]);
    expect(cli.code).toBe(0);
    const { items } = JSON.parse(cli.stdout) as { items: CheckedRecord[] };
    const names = items.filter((i) => i.name.includes("._domainkey.")).map((i) => i.name.split(".")[0]!);
    const { items: keys } = (await (await server.api("/api/v1/domains/keyless.example/dkim")).json()) as {
      items: Array<{ selector: string }>;
    };
    expect(keys.map((k) => k.selector).sort()).toEqual(names.sort());
    expect(keys).toHaveLength(2);
  }, 30_000);

  test("a domain that is not local exits 1; a missing domain or a bad format exits 2 with the usage", async () => {
    const unknown = await mailroom(["dns", "elsewhere.example"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("elsewhere.example is not a local domain");
    for (const args of [["dns"], ["dns", "cli.example", "--format", "xml"]]) {
      const bad = await mailroom(args);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("usage: mailroom dns DOMAIN [--format table|zone|json]");
    }
    const extra = await mailroom(["dns", "cli.example", "more"]);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toContain('unexpected argument "more"');
  }, 30_000);

  test("--help names the dns command and the DKIM grace setting", async () => {
    const help = await mailroom(["--help"]);
    expect(help.stdout).toContain("dns DOMAIN");
    expect(help.stdout).toContain("--dkim-grace");
    expect(help.stdout).toContain("MAILROOM_DKIM_GRACE");
  });
});
