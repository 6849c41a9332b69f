/**
 * Our key generation and signer as a script, so the Deno run can be held to the same verifiers:
 * `deno run -A --node-modules-dir=manual test/auth/sign-scenario.ts` prints a signed message and the
 * key records it needs as JSON (test/auth/dkim-sign.test.ts puts the records into Knot and verifies).
 */
import { createPrivateKey } from "node:crypto";
import { dkimGenerationNew } from "../../src/auth/dkim-keys.ts";
import { dkimSign } from "../../src/auth/dkim-sign.ts";
import { dkimRecordText } from "../../src/auth/dns-records.ts";
import { toSevenBit } from "../../src/mime/mod.ts";

export interface SignScenario {
  message: string;
  records: Array<{ selector: string; text: string }>;
}

export async function runSignScenario(domain: string): Promise<SignScenario> {
  const keys = await dkimGenerationNew(new Set());
  const raw = toSevenBit(
    Buffer.from(
      `From: Zoë <z@${domain}>\r\nTo: r@rcpt.example\r\nSubject: from the scenario\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße, 100 €.\r\n`,
    ),
  );
  const signers = keys.map((k) => ({
    selector: k.selector,
    algorithm: k.algorithm,
    key: createPrivateKey(k.privateKey),
  }));
  const fields = dkimSign(raw, { domain, signers });
  return {
    message: Buffer.concat([Buffer.from(fields, "latin1"), raw]).toString("latin1"),
    records: keys.map((k) => ({ selector: k.selector, text: dkimRecordText(k) })),
  };
}

if (import.meta.main) {
  process.stdout.write(`${JSON.stringify(await runSignScenario(process.argv[2] ?? "deno.example"))}\n`);
}
