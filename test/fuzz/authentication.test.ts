/**
 * Arbitrary header bytes through the pieces of the inbound checks that read a message before
 * mailauth does: the RFC 8601 §5 removal of our own Authentication-Results, the signature screen,
 * the report detector and the Authentication-Results writer. None may throw or take long; the
 * removal only ever removes whole Authentication-Results fields claiming our authserv-id. Line
 * ends are CRLF: DATA refuses or normalises a bare CR or LF before any of this runs (issue 9).
 */
import { expect, test } from "bun:test";
import fc from "fast-check";
import { stripOwnResults } from "../../src/smtp/authentication/forged-results.ts";
import { authenticationResultsField } from "../../src/smtp/authentication/header.ts";
import { screenSignatures } from "../../src/smtp/authentication/screen.ts";
import { receivedReport } from "../../src/smtp/reports/received.ts";
import { withinBudget } from "./helpers.ts";

const NAMES = [
  "Authentication-Results",
  "authentication-results",
  "DKIM-Signature",
  "ARC-Seal",
  "From",
  "Subject",
  "Content-Type",
  "X-Y",
];
const VALUES = [
  " mx.ours.example; dkim=pass",
  " (c) MX.OURS.EXAMPLE;",
  ' "mx.ours.example"',
  " other.example; spf=pass",
  " v=1; a=rsa-sha256; d=x; s=y; h=from; bh=; b=",
  " multipart/report; report-type=tlsrpt",
  " application/gzip",
  " Report Domain: x",
  "",
];
const field = fc.tuple(
  fc.constantFrom(...NAMES),
  fc.constantFrom(":", " :", ""),
  fc.oneof(fc.constantFrom(...VALUES), fc.string({ maxLength: 40 })),
  fc.constantFrom("\r\n", "\r\n\t folded\r\n", "\r\n "),
);
const message = fc
  .tuple(fc.array(field, { maxLength: 30 }), fc.constantFrom("\r\n", ""), fc.string({ maxLength: 60 }))
  .map(([fields, blank, body]) =>
    Buffer.from(fields.map(([n, c, v, e]) => `${n}${c}${v}${e}`).join("") + blank + body, "latin1"),
  );

test("stripOwnResults() never throws and removes only whole fields claiming our authserv-id", () => {
  fc.assert(
    fc.property(message, (raw) => {
      const { body, removed } = withinBudget(200, "stripOwnResults", () =>
        stripOwnResults(raw, "mx.ours.example"),
      );
      expect(body.length).toBeLessThanOrEqual(raw.length);
      if (removed === 0) expect(body).toBe(raw);
      else
        expect(body.toString("latin1")).not.toMatch(
          /^authentication-results\s*:\s*(\([^)]*\)\s*)?"?mx\.ours\.example"?\s*;/im,
        );
    }),
    { seed: 11, numRuns: 500 },
  );
});

test("screenSignatures() and receivedReport() never throw on arbitrary headers", () => {
  fc.assert(
    fc.property(message, (raw) => {
      withinBudget(200, "screenSignatures", () => screenSignatures(raw));
      withinBudget(500, "receivedReport", () => receivedReport(raw, 0));
    }),
    { seed: 12, numRuns: 500 },
  );
});

test("authenticationResultsField() unfolds to exactly its resinfos, whatever their text", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.string({ minLength: 1, maxLength: 300 }).map((s) => s.replace(/[\r\n]/g, "")),
        { minLength: 1, maxLength: 6 },
      ),
      (infos) => {
        const out = authenticationResultsField("mx.ours.example", infos);
        expect(out.replace(/\r\n(?=[ \t])/g, "")).toBe(
          `Authentication-Results: mx.ours.example;\r\n${infos.map((i, n) => `\t${i}${n < infos.length - 1 ? ";" : ""}`).join("\r\n")}\r\n`.replace(
            /\r\n(?=[ \t])/g,
            "",
          ),
        );
      },
    ),
    { seed: 13, numRuns: 300 },
  );
});
