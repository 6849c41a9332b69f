/**
 * Reads what a TLS server must know before it picks a certificate: the server name (RFC 6066 §3,
 * SNI) and the protocols offered (RFC 7301 §3.1, ALPN) from a ClientHello (RFC 8446 §4.1.2,
 * RFC 5246 §7.4.1.2). A TLS-ALPN-01 validation (RFC 8737 §3) offers exactly "acme-tls/1" and must
 * be answered with the challenge certificate, which node:tls cannot choose by ALPN, so the public
 * HTTPS listener looks at the hello before the handshake starts. Bytes in, values out; the caller
 * hands the same bytes on to TLS untouched.
 */

/** TLS records are at most 2^14 bytes of plaintext (RFC 8446 §5.1); a hello never needs more than a few. */
export const MAX_CLIENT_HELLO_BYTES = 16_384 + 5;

export interface ClientHello {
  /** The host_name of the server_name extension, lower-cased; undefined without SNI. */
  servername: string | undefined;
  /** The ALPN protocol names offered, in the client's order; [] without the extension. */
  alpn: string[];
}

export type HelloResult =
  | { kind: "hello"; hello: ClientHello }
  /** More bytes are needed before anything can be said. */
  | { kind: "partial" }
  /** Not a TLS ClientHello (or one we do not read): hand it to TLS, which will fail it properly. */
  | { kind: "invalid" };

/** Reads the first record of `bytes`; says "partial" until the whole record has arrived. */
export function parseClientHello(bytes: Uint8Array): HelloResult {
  if (bytes.length < 5) return { kind: "partial" };
  // Record: ContentType handshake(22), legacy_record_version, length (RFC 8446 §5.1).
  if (bytes[0] !== 22 || bytes[1] !== 3) return { kind: "invalid" };
  const recordLength = (bytes[3]! << 8) | bytes[4]!;
  if (recordLength > 16_384) return { kind: "invalid" };
  if (bytes.length < 5 + recordLength) return { kind: "partial" };
  try {
    return { kind: "hello", hello: readHello(new Reader(bytes.subarray(5, 5 + recordLength))) };
  } catch {
    return { kind: "invalid" };
  }
}

class Reader {
  #at = 0;
  constructor(readonly bytes: Uint8Array) {}
  get left(): number {
    return this.bytes.length - this.#at;
  }
  u8(): number {
    if (this.left < 1) throw new RangeError("short");
    return this.bytes[this.#at++]!;
  }
  u16(): number {
    return (this.u8() << 8) | this.u8();
  }
  u24(): number {
    return (this.u8() << 16) | this.u16();
  }
  take(n: number): Reader {
    if (this.left < n) throw new RangeError("short");
    const part = new Reader(this.bytes.subarray(this.#at, this.#at + n));
    this.#at += n;
    return part;
  }
  text(n: number): string {
    return Buffer.from(this.take(n).bytes).toString("latin1");
  }
}

function readHello(record: Reader): ClientHello {
  // Handshake: msg_type client_hello(1), uint24 length. A hello longer than its first record is cut
  // there; SNI and ALPN come early enough in every client we know of, and what is missing is absent.
  if (record.u8() !== 1) throw new RangeError("not a ClientHello");
  const length = record.u24();
  const body = record.take(Math.min(length, record.left));
  body.take(2 + 32); // legacy_version, random
  body.take(body.u8()); // legacy_session_id
  body.take(body.u16()); // cipher_suites
  body.take(body.u8()); // legacy_compression_methods
  const hello: ClientHello = { servername: undefined, alpn: [] };
  if (body.left < 2) return hello;
  const extensions = body.take(Math.min(body.u16(), body.left));
  while (extensions.left >= 4) {
    const type = extensions.u16();
    const data = extensions.take(extensions.u16());
    if (type === 0) hello.servername = serverName(data);
    else if (type === 16) hello.alpn = protocolNames(data);
  }
  return hello;
}

/** RFC 6066 §3: ServerNameList of (NameType, HostName); host_name(0) is the only type defined. */
function serverName(data: Reader): string | undefined {
  const list = data.take(data.u16());
  while (list.left >= 3) {
    const type = list.u8();
    const name = list.text(list.u16());
    if (type === 0) return name.toLowerCase();
  }
  return undefined;
}

/** RFC 7301 §3.1: ProtocolNameList of opaque ProtocolName<1..2^8-1>. */
function protocolNames(data: Reader): string[] {
  const list = data.take(data.u16());
  const names: string[] = [];
  while (list.left >= 1) names.push(list.text(list.u8()));
  return names;
}
