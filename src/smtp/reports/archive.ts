/**
 * Opening report attachments within REPORT_LIMITS.maxReportBytes: gzip (RFC 1952; DMARC per RFC 7489
 * §7.2.1.1, TLS-RPT per RFC 8460 §5.3) and zip (sent by several large DMARC reporters; the first
 * .xml entry, stored or deflated). Decompression stops at the bound, so a bomb costs a bounded
 * amount of memory and time. Zip64 and encrypted entries are not reports anyone sends: refused.
 */

import { gunzipSync, inflateRawSync } from "node:zlib";
import { bufferView } from "../../mime/mod.ts";
import { REPORT_LIMITS } from "./limits.ts";

export class ArchiveError extends Error {
  override name = "ArchiveError";
}

function bounded<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE")
      throw new ArchiveError(`decompressed report larger than ${REPORT_LIMITS.maxReportBytes} bytes`);
    throw new ArchiveError(`cannot decompress: ${(error as Error).message}`);
  }
}

export function gunzipBounded(data: Uint8Array, max: number = REPORT_LIMITS.maxReportBytes): Buffer {
  return bounded(() => gunzipSync(data, { maxOutputLength: max }));
}

/** The first entry whose name ends in `.xml` (or the first entry), decompressed. */
export function unzipFirst(data: Uint8Array, max: number = REPORT_LIMITS.maxReportBytes): Buffer {
  const buf = bufferView(data);
  // End of central directory (PKWARE APPNOTE 4.3.16): 22 bytes plus a comment of up to 65535.
  let eocd = -1;
  for (let i = buf.length - 22; i >= 0 && i >= buf.length - 22 - 65_535; i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ArchiveError("not a zip file (no end of central directory)");
  const entries = buf.readUInt16LE(eocd + 10);
  let pos = buf.readUInt32LE(eocd + 16);
  let chosen: { method: number; size: number; offset: number; flags: number } | undefined;
  for (let n = 0; n < entries && n < 64; n++) {
    if (pos + 46 > buf.length || buf.readUInt32LE(pos) !== 0x02014b50)
      throw new ArchiveError("bad zip directory");
    const flags = buf.readUInt16LE(pos + 8);
    const method = buf.readUInt16LE(pos + 10);
    const size = buf.readUInt32LE(pos + 20);
    const nameLength = buf.readUInt16LE(pos + 28);
    const extra = buf.readUInt16LE(pos + 30);
    const comment = buf.readUInt16LE(pos + 32);
    const offset = buf.readUInt32LE(pos + 42);
    const name = buf.subarray(pos + 46, pos + 46 + nameLength).toString("utf8");
    const entry = { method, size, offset, flags };
    if (!chosen || (/\.xml$/i.test(name) && !name.endsWith("/"))) chosen = entry;
    if (/\.xml$/i.test(name)) break;
    pos += 46 + nameLength + extra + comment;
  }
  if (!chosen) throw new ArchiveError("empty zip file");
  if (chosen.flags & 0x1) throw new ArchiveError("encrypted zip entry");
  if (chosen.size === 0xffffffff || chosen.offset === 0xffffffff)
    throw new ArchiveError("zip64 is not supported");
  const local = chosen.offset;
  if (local + 30 > buf.length || buf.readUInt32LE(local) !== 0x04034b50)
    throw new ArchiveError("bad zip entry");
  const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
  const body = buf.subarray(start, start + chosen.size);
  if (body.length < chosen.size) throw new ArchiveError("truncated zip entry");
  if (chosen.method === 0) {
    if (body.length > max) throw new ArchiveError(`decompressed report larger than ${max} bytes`);
    return Buffer.from(body);
  }
  if (chosen.method === 8) return bounded(() => inflateRawSync(body, { maxOutputLength: max }));
  throw new ArchiveError(`unsupported zip compression method ${chosen.method}`);
}
