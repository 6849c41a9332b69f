/**
 * Client autoconfiguration as clients fetch it, parsed by Python's stock XML and plist parsers:
 * Thunderbird's clientConfig on both of its paths, Autodiscover (POX, Outlook schema), the Apple
 * profile of an account; served on the public listeners (and the admin one), never for domains
 * that are not ours. (Thunderbird itself is not driven here: its autoconfig runs inside the account
 * wizard of a GUI, which a headless test cannot reach.)
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { run } from "../harness/run.ts";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";

interface XmlNode {
  tag: string;
  attrib: Record<string, string>;
  text: string;
  children: XmlNode[];
}

const XML_PY = join(import.meta.dir, "../harness/parse_served.py");

async function parseXml(text: string): Promise<XmlNode> {
  const result = await run("/usr/bin/python3", [XML_PY], { input: text });
  if (result.code !== 0) throw new Error(`python's XML parser refused it: ${result.stderr}`);
  return JSON.parse(result.stdout) as XmlNode;
}

async function parsePlist(text: string): Promise<Record<string, unknown>> {
  const result = await run("/usr/bin/python3", [XML_PY, "--plist"], { input: text });
  if (result.code !== 0) throw new Error(`python's plistlib refused it: ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/** Children by local name (namespaces dropped). */
const local = (tag: string) => tag.replace(/^\{[^}]*\}/, "");
const kids = (node: XmlNode, name: string) => node.children.filter((c) => local(c.tag) === name);
const kid = (node: XmlNode, name: string) => kids(node, name)[0]!;
const textOf = (node: XmlNode, name: string) => kid(node, name).text;

/** A request to a public listener, with a Host header of our choosing (TLS: self-signed, not verified). */
function publicFetch(
  server: TestServer,
  secure: boolean,
  path: string,
  init: { host: string; method?: string; body?: string },
): Promise<{ status: number; type: string; body: string }> {
  if (!secure) {
    return fetch(`http://127.0.0.1:${server.ports["public-http"]}${path}`, {
      method: init.method ?? "GET",
      headers: { host: init.host, "content-type": "text/xml" },
      ...(init.body !== undefined ? { body: init.body } : {}),
    }).then(async (res) => ({
      status: res.status,
      type: res.headers.get("content-type") ?? "",
      body: await res.text(),
    }));
  }
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: "127.0.0.1",
        port: server.ports["public-https"]!,
        path,
        method: init.method ?? "GET",
        servername: init.host,
        rejectUnauthorized: false,
        headers: { host: init.host, "content-type": "text/xml" },
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (d: string) => {
          body += d;
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"] ?? ""), body }),
        );
      },
    );
    req.on("error", reject);
    req.end(init.body);
  });
}

const autodiscoverRequest = (
  address: string,
  schema = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a",
) =>
  `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>${address}</EMailAddress>
    <AcceptableResponseSchema>${schema}</AcceptableResponseSchema>
  </Request>
</Autodiscover>`;

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  await createAccounts(server, [{ address: "alice@example.com" }]);
});

afterAll(async () => {
  await server.close();
});

describe("Thunderbird autoconfig", () => {
  test("autoconfig.<domain>/mail/config-v1.1.xml lists IMAP, POP3 and submission, TLS first, with the whole address as user", async () => {
    const res = await publicFetch(server, false, "/mail/config-v1.1.xml?emailaddress=alice%40example.com", {
      host: "autoconfig.example.com",
    });
    expect(res.status).toBe(200);
    expect(res.type).toStartWith("application/xml");
    const doc = await parseXml(res.body);
    expect(doc.tag).toBe("clientConfig");
    expect(doc.attrib.version).toBe("1.1");
    const provider = kid(doc, "emailProvider");
    expect(provider.attrib.id).toBe("example.com");
    expect(textOf(provider, "domain")).toBe("example.com");
    const servers = [...kids(provider, "incomingServer"), ...kids(provider, "outgoingServer")].map((s) => ({
      type: s.attrib.type,
      host: textOf(s, "hostname"),
      port: Number(textOf(s, "port")),
      socket: textOf(s, "socketType"),
      auth: textOf(s, "authentication"),
      user: textOf(s, "username"),
    }));
    const p = server.ports;
    const common = { host: "mx.test.example", auth: "password-cleartext", user: "%EMAILADDRESS%" };
    expect(servers).toEqual([
      { type: "imap", port: p.imaps!, socket: "SSL", ...common },
      { type: "imap", port: p.imap!, socket: "STARTTLS", ...common },
      { type: "pop3", port: p.pop3s!, socket: "SSL", ...common },
      { type: "pop3", port: p.pop3!, socket: "STARTTLS", ...common },
      { type: "smtp", port: p.smtps!, socket: "SSL", ...common },
      { type: "smtp", port: p.submission!, socket: "STARTTLS", ...common },
    ]);
  });

  test("/.well-known/autoconfig/mail/config-v1.1.xml on the domain (HTTPS) and on the admin listener say the same", async () => {
    const viaHttps = await publicFetch(server, true, "/.well-known/autoconfig/mail/config-v1.1.xml", {
      host: "example.com",
    });
    expect(viaHttps.status).toBe(200);
    const admin = await fetch(
      `http://127.0.0.1:${server.ports.http}/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=alice@example.com`,
    );
    expect(admin.status).toBe(200);
    expect(await admin.text()).toBe(viaHttps.body);
  });

  test("a domain that is not ours is a 404", async () => {
    const res = await publicFetch(
      server,
      false,
      "/mail/config-v1.1.xml?emailaddress=bob%40elsewhere.example",
      {
        host: "autoconfig.elsewhere.example",
      },
    );
    expect(res.status).toBe(404);
    expect(res.type).toBe("application/problem+json");
  });
});

describe("Autodiscover (POX)", () => {
  test("POST /autodiscover/autodiscover.xml answers the Outlook schema with IMAP, POP3 and SMTP over TLS", async () => {
    const res = await publicFetch(server, true, "/autodiscover/autodiscover.xml", {
      host: "autodiscover.example.com",
      method: "POST",
      body: autodiscoverRequest("alice@example.com"),
    });
    expect(res.status).toBe(200);
    const doc = await parseXml(res.body);
    expect(doc.tag).toBe(
      "{http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006}Autodiscover",
    );
    const response = kid(doc, "Response");
    expect(response.tag).toBe(
      "{http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a}Response",
    );
    const account = kid(response, "Account");
    expect(textOf(account, "AccountType")).toBe("email");
    expect(textOf(account, "Action")).toBe("settings");
    const protocols = kids(account, "Protocol").map((p) => ({
      type: textOf(p, "Type"),
      server: textOf(p, "Server"),
      port: Number(textOf(p, "Port")),
      login: textOf(p, "LoginName"),
      encryption: textOf(p, "Encryption"),
      auth: textOf(p, "AuthRequired"),
    }));
    const common = { server: "mx.test.example", login: "alice@example.com", encryption: "SSL", auth: "on" };
    expect(protocols).toEqual([
      { type: "IMAP", port: server.ports.imaps!, ...common },
      { type: "POP3", port: server.ports.pop3s!, ...common },
      { type: "SMTP", port: server.ports.smtps!, ...common },
    ]);
  });

  test("the capitalised path and the plain public listener answer too", async () => {
    const res = await publicFetch(server, false, "/Autodiscover/Autodiscover.xml", {
      host: "example.com",
      method: "POST",
      body: autodiscoverRequest("alice@example.com"),
    });
    expect(res.status).toBe(200);
    expect(res.body).toContain("<Type>IMAP</Type>");
  });

  test("an address of another domain is error 600, another response schema error 601", async () => {
    const other = await parseXml(
      (
        await publicFetch(server, true, "/autodiscover/autodiscover.xml", {
          host: "example.com",
          method: "POST",
          body: autodiscoverRequest("bob@elsewhere.example"),
        })
      ).body,
    );
    const error = kid(kid(other, "Response"), "Error");
    expect(textOf(error, "ErrorCode")).toBe("600");
    const mobile = await parseXml(
      (
        await publicFetch(server, true, "/autodiscover/autodiscover.xml", {
          host: "example.com",
          method: "POST",
          body: autodiscoverRequest(
            "alice@example.com",
            "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006",
          ),
        })
      ).body,
    );
    expect(textOf(kid(kid(mobile, "Response"), "Error"), "ErrorCode")).toBe("601");
    const garbage = await parseXml(
      (
        await publicFetch(server, true, "/autodiscover/autodiscover.xml", {
          host: "example.com",
          method: "POST",
          body: "hello",
        })
      ).body,
    );
    expect(textOf(kid(kid(garbage, "Response"), "Error"), "ErrorCode")).toBe("600");
  });

  test("a request body over 64 KiB is refused with 413 before it is read whole", async () => {
    const res = await publicFetch(server, true, "/autodiscover/autodiscover.xml", {
      host: "example.com",
      method: "POST",
      body: "x".repeat(70 * 1024),
    });
    expect(res.status).toBe(413);
  });
});

describe("Apple configuration profile", () => {
  test("GET /api/v1/accounts/{a}/mobileconfig is a plist that sets up IMAP and SMTP over TLS for the account", async () => {
    const res = await server.api("/api/v1/accounts/alice@example.com/mobileconfig");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-apple-aspen-config");
    expect(res.headers.get("content-disposition")).toBe(
      'attachment; filename="alice@example.com.mobileconfig"',
    );
    const text = await res.text();
    const profile = await parsePlist(text);
    expect(profile.PayloadType).toBe("Configuration");
    expect(profile.PayloadVersion).toBe(1);
    const [mail] = profile.PayloadContent as Array<Record<string, unknown>>;
    expect(mail).toMatchObject({
      PayloadType: "com.apple.mail.managed",
      EmailAccountType: "EmailTypeIMAP",
      EmailAddress: "alice@example.com",
      IncomingMailServerHostName: "mx.test.example",
      IncomingMailServerPortNumber: server.ports.imaps,
      IncomingMailServerUseSSL: true,
      IncomingMailServerUsername: "alice@example.com",
      IncomingMailServerAuthentication: "EmailAuthPassword",
      OutgoingMailServerHostName: "mx.test.example",
      OutgoingMailServerPortNumber: server.ports.smtps,
      OutgoingMailServerUseSSL: true,
      OutgoingPasswordSameAsIncomingPassword: true,
    });
    for (const uuid of [profile.PayloadUUID, mail!.PayloadUUID])
      expect(uuid).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-8[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
    // Stable: a second download replaces the first profile on the device rather than adding one.
    expect(await (await server.api("/api/v1/accounts/alice@example.com/mobileconfig")).text()).toBe(text);
    expect(text).not.toContain("secret");
  });

  test("it needs the admin token, and an unknown account is a 404", async () => {
    const anonymous = await server.api("/api/v1/accounts/alice@example.com/mobileconfig", {
      headers: { authorization: "" },
    });
    expect(anonymous.status).toBe(401);
    expect((await server.api("/api/v1/accounts/nobody@example.com/mobileconfig")).status).toBe(404);
  });
});

describe("the public listeners", () => {
  test("serve no admin API, no metrics and no MTA-STS policy over plain HTTP", async () => {
    for (const secure of [false, true]) {
      for (const path of ["/api/v1/domains", "/metrics", "/readyz", "/healthz", "/openapi.yaml"]) {
        const res = await (secure
          ? publicFetch(server, true, path, { host: "mx.test.example" })
          : fetch(`http://127.0.0.1:${server.ports["public-http"]}${path}`, {
              headers: { authorization: "Bearer test-admin-token-0123456789" },
            }).then(async (r) => ({ status: r.status, body: await r.text() })));
        expect({ secure, path, status: res.status }).toEqual({ secure, path, status: 404 });
      }
    }
    const policy = await publicFetch(server, false, "/.well-known/mta-sts.txt", {
      host: "mta-sts.example.com",
    });
    expect(policy.status).toBe(404);
    const overTls = await publicFetch(server, true, "/.well-known/mta-sts.txt", {
      host: "mta-sts.example.com",
    });
    expect(overTls.status).toBe(200);
    expect(overTls.body).toContain("version: STSv1");
  });
});
