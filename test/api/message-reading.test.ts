/**
 * Reading one message the way a test does (issue 16), under /api/v1/messages/{id} and
 * /api/v1/accounts/{address}/messages/{id}: text, sanitized HTML, headers, a part raw or decoded
 * with its type and file name, links and one-time codes; `latest` wherever an id goes; another
 * account's id is a 404 under an account. Mail arrives over real SMTP.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createAccounts, startTestServer, type TestServer } from "../harness/server.ts";
import { sendMail } from "../harness/smtp-client.ts";
import { enc, expectProblem } from "./helpers.ts";

let server: TestServer;
let id: number;
const ALICE = "reader@example.com";
const BOB = "other@example.com";

const b64 = (bytes: Buffer | string) =>
  Buffer.from(bytes)
    .toString("base64")
    .replace(/.{1,76}/g, "$&\r\n");
const PNG = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");

const MESSAGE = [
  "From: Shop <noreply@shop.example>",
  `To: ${ALICE}`,
  "Subject: =?utf-8?q?Best=C3=A4tigung?= of your account",
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="outer"',
  "",
  "--outer",
  'Content-Type: multipart/related; boundary="rel"',
  "",
  "--rel",
  'Content-Type: multipart/alternative; boundary="alt"',
  "",
  "--alt",
  "Content-Type: text/plain; charset=utf-8",
  "Content-Transfer-Encoding: quoted-printable",
  "",
  "Your verification code is 482913.",
  "Confirm at https://shop.example/confirm?t=3Dabc&u=3D1 (or ignore).",
  "--alt",
  "Content-Type: text/html; charset=utf-8",
  "",
  '<html><head><style>body{background:url(https://tracker.example/bg.png)}</style></head><body onload="steal()">',
  '<p style="color:red;background-image:url(https://tracker.example/p.png)">Hello <b>there</b></p>',
  '<a href="https://shop.example/confirm?t=abc&amp;u=1" onclick="x()">Confirm</a>',
  '<a href="javascript:alert(1)">evil</a><script>alert("x")</script>',
  '<img src="https://tracker.example/pixel.gif" width="1"><img src="cid:logo@shop">',
  '<iframe src="https://ads.example/"></iframe></body></html>',
  "--alt--",
  "--rel",
  "Content-Type: image/png",
  "Content-ID: <logo@shop>",
  "Content-Transfer-Encoding: base64",
  "",
  b64(PNG),
  "--rel--",
  "--outer",
  'Content-Type: application/pdf; name="=?utf-8?q?Rechnung_M=C3=A4rz.pdf?="',
  "Content-Disposition: attachment",
  "Content-Transfer-Encoding: base64",
  "",
  b64("%PDF-1.4 invoice"),
  "--outer--",
  "",
].join("\r\n");

beforeAll(async () => {
  server = await startTestServer();
  await createAccounts(server, [{ address: ALICE }, { address: BOB }]);
  const r = await sendMail(server.ports.smtp!, "bounce@shop.example", [ALICE], MESSAGE);
  expect(r.code).toBe(250);
  id = ((await (await server.api(`/api/v1/messages/wait?to=${enc(ALICE)}`)).json()) as { id: number }).id;
});

afterAll(async () => {
  await server.close();
});

const both = (rest: string) => [
  `/api/v1/messages/${id}${rest}`,
  `/api/v1/accounts/${enc(ALICE)}/messages/${id}${rest}`,
];

describe("text and HTML", () => {
  test("/text is the decoded text body", async () => {
    for (const path of both("/text")) {
      const res = await server.api(path);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      expect(await res.text()).toBe(
        "Your verification code is 482913.\r\nConfirm at https://shop.example/confirm?t=abc&u=1 (or ignore).",
      );
    }
  });

  test("/html has no script, handler, javascript: URL, frame, style block or remote load; cid: points at the part", async () => {
    const res = await server.api(`/api/v1/messages/${id}/html`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await res.text();
    for (const banned of [
      "<script",
      "onload",
      "onclick",
      "javascript:",
      "<iframe",
      "<style",
      "tracker.example",
      "ads.example",
      "url(",
    ])
      expect({ banned, found: html.includes(banned) }).toEqual({ banned, found: false });
    expect(html).toContain('<p style="color:red">Hello <b>there</b></p>');
    expect(html).toContain('href="https://shop.example/confirm?t=abc&amp;u=1"');
    expect(html).toContain('rel="noopener noreferrer"');
    expect(html).toContain(`src="/api/v1/messages/${id}/parts/1.2?decoded=true"`);
    const logo = await server.api(`/api/v1/messages/${id}/parts/1.2?decoded=true`);
    expect(logo.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await logo.arrayBuffer())).toEqual(PNG);
  });

  test("/text of a message with only HTML is the HTML's text; /html of one without HTML is a 404", async () => {
    await sendMail(
      server.ports.smtp!,
      "a@b.example",
      [BOB],
      "Subject: html only\r\nContent-Type: text/html\r\n\r\n<p>Only <i>markup</i> here</p>\r\n",
    );
    expect(await (await server.api(`/api/v1/accounts/${enc(BOB)}/messages/latest/text`)).text()).toBe(
      "Only markup here",
    );
    await sendMail(server.ports.smtp!, "a@b.example", [BOB], "Subject: plain only\r\n\r\njust text\r\n");
    await expectProblem(await server.api(`/api/v1/accounts/${enc(BOB)}/messages/latest/html`), 404);
  });
});

describe("headers and parts", () => {
  test("/headers lists the fields in order, decoded", async () => {
    const { headers } = (await (await server.api(`/api/v1/messages/${id}/headers`)).json()) as {
      headers: Array<{ name: string; value: string }>;
    };
    expect(headers[0]!.name).toBe("Return-Path");
    expect(headers).toContainEqual({ name: "Subject", value: "Bestätigung of your account" });
  });

  test("/parts/{n}?decoded=true is the attachment with its type and file name; without, the stored base64", async () => {
    for (const path of both("/parts/2")) {
      const decoded = await server.api(`${path}?decoded=true`);
      expect(decoded.status).toBe(200);
      expect(decoded.headers.get("content-type")).toBe("application/pdf");
      expect(decoded.headers.get("content-disposition")).toBe(
        `attachment; filename="Rechnung M_rz.pdf"; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf`,
      );
      expect(await decoded.text()).toBe("%PDF-1.4 invoice");
      const raw = await server.api(path);
      expect(raw.headers.get("content-type")).toBe("application/octet-stream");
      expect(raw.headers.get("mailroom-part-type")).toBe("application/pdf");
      expect(raw.headers.get("mailroom-transfer-encoding")).toBe("base64");
      expect(await raw.text()).toBe(b64("%PDF-1.4 invoice"));
    }
  });

  test("a part that does not exist, or a malformed part number, is a 404; a bad query a 422", async () => {
    for (const part of ["9", "1.9.9", "0", "a", "1..2", `${"1.".repeat(40)}1`])
      await expectProblem(await server.api(`/api/v1/messages/${id}/parts/${part}`), 404);
    await expectProblem(await server.api(`/api/v1/messages/${id}/parts/2?decoded=yes`), 422);
  });
});

describe("links and codes", () => {
  test("/links lists every URL of both bodies, with the text of HTML links", async () => {
    const { items } = (await (await server.api(`/api/v1/messages/${id}/links`)).json()) as {
      items: Array<{ url: string; part: string; text: string | null }>;
    };
    expect(items).toEqual([
      { url: "https://shop.example/confirm?t=abc&u=1", part: "html", text: "Confirm" },
      { url: "https://tracker.example/pixel.gif", part: "html", text: null },
      { url: "https://ads.example/", part: "html", text: null },
      { url: "https://shop.example/confirm?t=abc&u=1", part: "text", text: null },
    ]);
  });

  test("/codes finds the one-time code with its context", async () => {
    for (const path of both("/codes")) {
      const { items } = (await (await server.api(path)).json()) as {
        items: Array<{ code: string; keyword: string; context: string }>;
      };
      expect(items[0]).toEqual(
        expect.objectContaining({
          code: "482913",
          context: expect.stringContaining("verification code is 482913"),
        }),
      );
    }
  });
});

describe("ids", () => {
  test("latest is the newest message, of all or of the account in the path", async () => {
    await sendMail(server.ports.smtp!, "a@b.example", [BOB], "Subject: newest of all\r\n\r\nx\r\n");
    const all = (await (await server.api("/api/v1/messages/latest")).json()) as {
      subject: string;
      account: string;
    };
    expect(all).toEqual(expect.objectContaining({ subject: "newest of all", account: BOB }));
    const alices = (await (await server.api(`/api/v1/accounts/${enc(ALICE)}/messages/latest`)).json()) as {
      id: number;
    };
    expect(alices.id).toBe(id);
    const raw = await server.api(`/api/v1/messages/${id}/raw`);
    expect(raw.headers.get("content-type")).toBe("message/rfc822");
    expect(await raw.text()).toContain("Subject: =?utf-8?q?Best=C3=A4tigung?=");
  });

  test("under another account the id is a 404 on every reading route; unknown ids are 404s", async () => {
    for (const rest of ["", "/text", "/html", "/headers", "/parts/1", "/links", "/codes"])
      await expectProblem(await server.api(`/api/v1/accounts/${enc(BOB)}/messages/${id}${rest}`), 404);
    for (const path of ["/api/v1/messages/999999", "/api/v1/messages/abc/text", "/api/v1/messages/0/links"])
      await expectProblem(await server.api(path), 404);
  });
});
