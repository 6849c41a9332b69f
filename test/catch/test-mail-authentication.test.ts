/**
 * Test mail and the inbound checks (issue 16 with issue 11 and 14): mail that catch mode takes, or
 * that goes only to a namespace's addresses, is checked (SPF, DKIM, DMARC against a real DNS
 * server, Knot) and the results are kept in the message and its REST view, but a failing DMARC
 * p=reject neither refuses it nor puts it in Junk: a test must find every message it sent. The
 * same message to a real account of a normal server is still refused.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startDnsServer, type TestDnsServer } from "../harness/dns-server.ts";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";
import {
  arrival,
  authenticationOf,
  authenticationResultsFields,
  message,
  sendFrom,
} from "../smtp/authentication-helpers.ts";

// Not in reject.example's SPF record: SPF fails, nothing is signed, so DMARC fails.
const SPOOF_IP = "127.0.0.66";

let knot: TestDnsServer;
let caught: TestServer;
let normal: TestServer;

beforeAll(async () => {
  knot = await startDnsServer([
    {
      origin: "reject.example",
      records: [
        { name: "@", type: "TXT", value: "v=spf1 ip4:127.0.0.2 -all" },
        { name: "_dmarc", type: "TXT", value: "v=DMARC1; p=reject" },
      ],
    },
    { origin: "example", records: [] },
  ]);
  const dnsServers = [knot.server];
  caught = await startTestServer({ catch: true, dnsServers });
  normal = await startTestServer({ hostname: "mx.b.example", domain: "b.example", dnsServers });
  await createAccounts(normal, [{ address: "bob@b.example" }]);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([caught?.close(), normal?.close()]);
  await knot?.stop();
});

const failed = {
  spf: { result: "fail", domain: "reject.example" },
  dmarc: { result: "fail", policy: "reject", domain: "reject.example", disposition: "reject" },
};

describe("test mail is checked, and kept whatever the verdict", () => {
  test("catch mode: a DMARC p=reject failure is delivered to INBOX with its results in the message and the REST view", async () => {
    const r = await sendFrom(caught.ports.smtp!, {
      address: SPOOF_IP,
      mailFrom: "app@reject.example",
      to: ["someone@anywhere.example"],
      raw: message("App <app@reject.example>", "someone@anywhere.example", "caught spoof"),
    });
    expect(r.code).toBe(250);
    const got = await arrival(caught, "someone@anywhere.example", "caught spoof");
    expect(got.keywords).not.toContain("$Junk");
    const fields = authenticationResultsFields(got.raw);
    expect(fields).toHaveLength(1);
    expect(fields[0]).toContain("dmarc=fail");
    expect(await authenticationOf(caught, "someone@anywhere.example", got.id)).toMatchObject(failed);
  });

  test("a namespace on a normal server: the same message to its address is delivered with its results; to a real account it is refused", async () => {
    const created = await normal.api("/api/v1/namespaces", { method: "POST" });
    expect(created.status).toBe(201);
    const { domain } = (await created.json()) as { domain: string };
    const to = `ci@${domain}`;
    const r = await sendFrom(normal.ports.smtp!, {
      address: SPOOF_IP,
      mailFrom: "app@reject.example",
      to: [to],
      raw: message("App <app@reject.example>", to, "namespace spoof"),
    });
    expect(r.code).toBe(250);
    const got = await arrival(normal, to, "namespace spoof");
    expect(got.keywords).not.toContain("$Junk");
    expect(await authenticationOf(normal, to, got.id)).toMatchObject(failed);

    const refused = await sendFrom(normal.ports.smtp!, {
      address: SPOOF_IP,
      mailFrom: "app@reject.example",
      to: ["bob@b.example"],
      raw: message("App <app@reject.example>", "bob@b.example", "real spoof"),
    });
    expect(refused.code).toBe(550);
  });
});
