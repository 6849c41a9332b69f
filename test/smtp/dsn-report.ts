/** Reading a bounce the way a mail client would: MIME structure first, then the delivery-status fields. */
import { expect } from "bun:test";
import { type MimePart, parseMessage, partBody } from "../../src/mime/mod.ts";

export interface DsnReport {
  parts: MimePart[];
  /** Per-message fields (Reporting-MTA, Arrival-Date...), names lower-cased. */
  message: Record<string, string>;
  /** One record per recipient block, names lower-cased. */
  recipients: Array<Record<string, string>>;
  /** The third part's bytes: the returned message or its header. */
  returned: string;
  text: string;
}

/** Parses an RFC 3464 report, asserting the multipart/report shape on the way. */
export function readDsn(raw: Uint8Array): DsnReport {
  const parsed = parseMessage(raw);
  const root = parsed.structure;
  expect(`${root.type}/${root.subtype}`).toBe("multipart/report");
  expect(root.params["report-type"]).toBe("delivery-status");
  const parts = root.children;
  expect(parts.length).toBe(3);
  expect(`${parts[0]!.type}/${parts[0]!.subtype}`).toBe("text/plain");
  expect(`${parts[1]!.type}/${parts[1]!.subtype}`).toBe("message/delivery-status");
  const status = Buffer.from(partBody(raw, parts[1]!)).toString("utf8");
  const blocks = status
    .split(/\r?\n\r?\n/)
    .map((b) => b.trim())
    .filter((b) => b !== "")
    .map((block) => {
      const fields: Record<string, string> = {};
      for (const line of block.split(/\r?\n(?![ \t])/)) {
        const colon = line.indexOf(":");
        fields[line.slice(0, colon).trim().toLowerCase()] = line
          .slice(colon + 1)
          .replace(/\r?\n[ \t]+/g, " ")
          .trim();
      }
      return fields;
    });
  return {
    parts,
    message: blocks[0] ?? {},
    recipients: blocks.slice(1),
    returned: Buffer.from(partBody(raw, parts[2]!)).toString("utf8"),
    text: Buffer.from(partBody(raw, parts[0]!)).toString("utf8"),
  };
}
