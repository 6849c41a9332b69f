/**
 * The pieces of the ACME client on their own: JWS signatures (RFC 7515, ES256 as R||S and RS256),
 * the JWK thumbprint (RFC 7638's own example), the CSR (checked by openssl), the TLS-ALPN-01
 * certificate (RFC 8737 §3), ClientHello reading (SNI and ALPN from a real node:tls hello), and an
 * RS256 account registered with pebble.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, createPublicKey, verify, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { AcmeClient } from "../../src/acme/client.ts";
import { accountKeyGenerate, jwkThumbprint, jwsSign, keyAuthorization } from "../../src/acme/jws.ts";
import { DnsResolver } from "../../src/dns/mod.ts";
import { silentLogger } from "../../src/log.ts";
import { parseClientHello } from "../../src/tls/client-hello.ts";
import { certificateRequest } from "../../src/tls/csr.ts";
import { acmeChallengeCertificate } from "../../src/tls/x509.ts";
import { run } from "../harness/run.ts";
import { type AcmeSetup, startAcmeSetup } from "./helpers.ts";

const fromB64 = (s: string) => Buffer.from(s, "base64url");

describe("jwsSign()", () => {
  for (const algorithm of ["ES256", "RS256"] as const) {
    test(`an ${algorithm} JWS verifies with the public key of its JWK`, () => {
      const key = accountKeyGenerate(algorithm);
      const jws = JSON.parse(jwsSign(key, { nonce: "n1", url: "https://ca.example/new-acct" }, { a: 1 }));
      const header = JSON.parse(fromB64(jws.protected).toString());
      expect(header).toEqual({
        alg: algorithm,
        jwk: key.jwk,
        nonce: "n1",
        url: "https://ca.example/new-acct",
      });
      expect(JSON.parse(fromB64(jws.payload).toString())).toEqual({ a: 1 });
      const publicKey = createPublicKey({ key: key.jwk, format: "jwk" });
      const input = Buffer.from(`${jws.protected}.${jws.payload}`);
      const signature = fromB64(jws.signature);
      // RFC 7518 §3.4: ES256 is R||S, 64 bytes, not DER.
      if (algorithm === "ES256") expect(signature.length).toBe(64);
      const ok =
        algorithm === "ES256"
          ? verify("sha256", input, { key: publicKey, dsaEncoding: "ieee-p1363" }, signature)
          : verify("sha256", input, publicKey, signature);
      expect(ok).toBe(true);
    });
  }

  test("with a kid the JWK is left out, and POST-as-GET has an empty payload (RFC 8555 §6.2, §6.3)", () => {
    const key = accountKeyGenerate();
    const jws = JSON.parse(
      jwsSign(key, { nonce: "n", url: "https://ca.example/o/1", kid: "https://ca.example/acct/7" }, ""),
    );
    expect(JSON.parse(fromB64(jws.protected).toString())).toEqual({
      alg: "ES256",
      kid: "https://ca.example/acct/7",
      nonce: "n",
      url: "https://ca.example/o/1",
    });
    expect(jws.payload).toBe("");
  });

  test("jwkThumbprint() gives RFC 7638 §3.1's result for its example key", () => {
    const jwk = {
      e: "AQAB",
      kty: "RSA",
      n: "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
    };
    const key = { ...accountKeyGenerate("ES256"), jwk };
    expect(jwkThumbprint(key)).toBe("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    expect(keyAuthorization("tok", key)).toBe("tok.NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  });
});

describe("certificateRequest()", () => {
  test("openssl verifies its signature and reads every name from the SAN extension request", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mailroom-csr-"));
    try {
      const csr = certificateRequest(["mx.example.com", "mta-sts.example.com", "autoconfig.example.com"]);
      writeFileSync(join(dir, "req.der"), csr.der);
      const result = await run("openssl", [
        "req",
        "-inform",
        "der",
        "-in",
        join(dir, "req.der"),
        "-noout",
        "-text",
        "-verify",
      ]);
      expect(result.stdout + result.stderr).toContain("verify OK");
      expect(result.stdout).toContain("Subject: CN = mx.example.com");
      expect(result.stdout).toContain(
        "DNS:mx.example.com, DNS:mta-sts.example.com, DNS:autoconfig.example.com",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a first name longer than a CN may be (64) goes in the SAN only", () => {
    const long = `${"a".repeat(60)}.example.com`;
    const csr = certificateRequest([long]);
    expect(csr.der.includes(Buffer.from(long))).toBe(true);
    expect(csr.der.includes(Buffer.from([0x06, 0x03, 0x55, 0x04, 0x03]))).toBe(false); // no CN attribute
  });
});

test("acmeChallengeCertificate() has one dNSName and the critical acmeIdentifier with SHA-256 of the key authorization", () => {
  const pair = acmeChallengeCertificate("mx.example.com", "token.thumb");
  const x509 = new X509Certificate(pair.certPem);
  expect(x509.subjectAltName).toBe("DNS:mx.example.com");
  const digest = createHash("sha256").update("token.thumb").digest();
  // RFC 8737 §3: extnID 1.3.6.1.5.5.7.1.31, critical TRUE, extnValue OCTET STRING { OCTET STRING (32) }.
  const extension = Buffer.concat([
    Buffer.from([
      0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x1f, 0x01, 0x01, 0xff, 0x04, 0x22, 0x04, 0x20,
    ]),
    digest,
  ]);
  expect(Buffer.from(x509.raw).includes(extension)).toBe(true);
});

describe("parseClientHello()", () => {
  async function helloOf(options: { servername?: string; ALPNProtocols?: string[] }): Promise<Buffer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    const got = new Promise<Buffer>((resolve) =>
      server.once("connection", (socket) => {
        socket.once("data", (chunk: Buffer) => {
          resolve(chunk);
          socket.destroy();
        });
      }),
    );
    const client = connect({ host: "127.0.0.1", port, rejectUnauthorized: false, ...options });
    client.on("error", () => {});
    const hello = await got;
    client.destroy();
    server.close();
    return hello;
  }

  test("reads the server name and the ALPN protocols of a real ClientHello", async () => {
    const bytes = await helloOf({ servername: "MX.Example.com", ALPNProtocols: ["acme-tls/1"] });
    expect(parseClientHello(bytes)).toEqual({
      kind: "hello",
      hello: { servername: "mx.example.com", alpn: ["acme-tls/1"] },
    });
    const plain = await helloOf({ ALPNProtocols: ["h2", "http/1.1"] });
    expect(parseClientHello(plain)).toEqual({
      kind: "hello",
      hello: { servername: undefined, alpn: ["h2", "http/1.1"] },
    });
  });

  test("says partial until the record is complete, and invalid for what is not a hello", async () => {
    const bytes = await helloOf({ servername: "mx.example.com" });
    expect(parseClientHello(bytes.subarray(0, 3)).kind).toBe("partial");
    expect(parseClientHello(bytes.subarray(0, bytes.length - 1)).kind).toBe("partial");
    expect(parseClientHello(Buffer.from("GET / HTTP/1.1\r\n\r\n")).kind).toBe("invalid");
    // A hello whose session id length (after the record and handshake headers, version and random)
    // runs past its end.
    const broken = Buffer.from(bytes);
    broken[5 + 4 + 2 + 32] = 0xff;
    expect(parseClientHello(broken).kind).toBe("invalid");
  });
});

describe("AcmeClient against pebble", () => {
  let setup: AcmeSetup;
  let resolver: DnsResolver;

  beforeAll(async () => {
    setup = await startAcmeSetup();
    resolver = new DnsResolver({ servers: [setup.dns.server], log: silentLogger });
  });

  afterAll(async () => {
    resolver.close();
    await setup.stop();
  });

  test("an RS256 account key registers, and registering again finds the same account", async () => {
    const extraCa = [readFileSync(setup.pebble.caFile, "utf8")];
    const key = accountKeyGenerate("RS256");
    const client = new AcmeClient({ directoryUrl: setup.pebble.directory, key, resolver, extraCa });
    const url = await client.account(["mailto:postmaster@example.com"]);
    expect(url).toStartWith(setup.pebble.directory.replace("/dir", "/"));
    const again = new AcmeClient({ directoryUrl: setup.pebble.directory, key, resolver, extraCa });
    expect(await again.account([])).toBe(url);
  });

  test("requests made at once each get their own nonce (RFC 8555 §6.5)", async () => {
    const extraCa = [readFileSync(setup.pebble.caFile, "utf8")];
    const client = new AcmeClient({
      directoryUrl: setup.pebble.directory,
      key: accountKeyGenerate(),
      resolver,
      extraCa,
    });
    await client.account([]);
    const names = Array.from({ length: 8 }, (_, i) => `n${i}.example.com`);
    const order = await client.newOrder(names);
    // Eight POST-as-GETs in parallel, twice: with one shared nonce slot some found it taken.
    for (let round = 0; round < 2; round++) {
      const authorizations = await Promise.all(order.authorizations.map((url) => client.authorization(url)));
      expect(authorizations.map((a) => a.identifier.value).sort()).toEqual(names);
    }
  });

  test("a CA whose certificate is not trusted is a transport error naming the server", async () => {
    const client = new AcmeClient({
      directoryUrl: setup.pebble.directory,
      key: accountKeyGenerate(),
      resolver,
    });
    await expect(client.directory()).rejects.toThrow(/cannot reach the ACME server acme\.test\.example/);
  });
});
