/**
 * A certificate authority for tests, made with the `openssl` command: a CA certificate (what
 * MAILROOM_TLS_CA_FILE points at) and server certificates it issues for the names a test needs
 * (valid, expired, or for other names). Everything lives in a temp dir.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./run.ts";

export interface IssuedCertificate {
  /** The leaf alone. */
  certPem: string;
  keyPem: string;
  /** Leaf then CA: what a server should send (RFC 7672 §3.1.2 wants the trust anchor in the chain). */
  chainPem: string;
}

export interface TestCa {
  dir: string;
  caPem: string;
  /** Path of the CA certificate (for MAILROOM_TLS_CA_FILE). */
  caFile: string;
  issue(names: string[]): Promise<IssuedCertificate>;
  remove(): void;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  const result = await run("openssl", args, { cwd: dir, timeoutMs: 30_000 });
  if (result.code !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr}`);
}

export async function createTestCa(name = "Mailroom Test CA"): Promise<TestCa> {
  const dir = mkdtempSync(join(tmpdir(), "mailroom-ca-"));
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  await openssl(dir, [
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "30",
    "-subj",
    `/CN=${name}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  const caPem = readFileSync(join(dir, "ca.crt"), "utf8");
  let serial = 0;
  return {
    dir,
    caPem,
    caFile: join(dir, "ca.crt"),
    async issue(names) {
      const n = ++serial;
      writeFileSync(
        join(dir, `leaf${n}.ext`),
        `subjectAltName=${names.map((h) => `DNS:${h}`).join(",")}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`,
      );
      await openssl(dir, [
        "req",
        ...ec,
        "-keyout",
        `leaf${n}.key`,
        "-out",
        `leaf${n}.csr`,
        "-subj",
        `/CN=${names[0]}`,
      ]);
      await openssl(dir, [
        "x509",
        "-req",
        "-in",
        `leaf${n}.csr`,
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-set_serial",
        String(1000 + n),
        "-out",
        `leaf${n}.crt`,
        "-days",
        "30",
        "-extfile",
        `leaf${n}.ext`,
      ]);
      const certPem = readFileSync(join(dir, `leaf${n}.crt`), "utf8");
      return { certPem, keyPem: readFileSync(join(dir, `leaf${n}.key`), "utf8"), chainPem: certPem + caPem };
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
