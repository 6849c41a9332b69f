/**
 * A raw POP3 client over a real socket, one command per exchange, for asserting exact replies and
 * exact bytes. Input is kept in one growable buffer (no per-chunk re-concatenation), so a 10 MB RETR
 * costs linear time. Nothing sleeps: every read waits on socket data or on close.
 */
import { connect, type Socket } from "node:net";
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from "node:tls";

export interface Pop3Reply {
  ok: boolean;
  /** The whole status line, e.g. "-ERR [AUTH] invalid login or password". */
  line: string;
  /** The text after +OK / -ERR. */
  text: string;
  /** The RFC 2449 response code, e.g. "AUTH", if any. */
  code: string | undefined;
}

export interface Pop3Multi extends Pop3Reply {
  /** The body as sent, still dot-stuffed, without the terminating ".CRLF". */
  wire: Buffer;
  /** The body with dot-stuffing undone: what the server meant to send. */
  body: Buffer;
  /** The body's lines (latin1), without line ends. */
  lines: string[];
}

const CRLF = Buffer.from("\r\n");
const END = Buffer.from("\n.\r\n");

export class Pop3Client {
  /** The plain socket, or the TLS socket after stls() / with implicit TLS. */
  socket: Socket;
  #data = Buffer.alloc(64 * 1024);
  #start = 0;
  #end = 0;
  #waiters: Array<() => void> = [];
  #closed = false;
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", this.#onData);
    this.closed = new Promise((resolve) =>
      socket.on("close", () => {
        this.#closed = true;
        this.#wake();
        resolve();
      }),
    );
    socket.on("error", () => {});
  }

  readonly #onData = (chunk: Buffer): void => {
    this.#append(chunk);
    this.#wake();
  };

  static async connect(
    port: number,
    host = "127.0.0.1",
    options: { localAddress?: string; tls?: ConnectionOptions } = {},
  ): Promise<{ client: Pop3Client; greeting: Pop3Reply }> {
    const tcp = connect({ port, host, localAddress: options.localAddress });
    const socket = options.tls ? tlsConnect({ ...options.tls, socket: tcp }) : tcp;
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls ? "secureConnect" : "connect", resolve);
      socket.once("error", reject);
    });
    const client = new Pop3Client(socket);
    return { client, greeting: await client.read() };
  }

  /** After +OK to STLS: the TLS handshake over this connection. Rejects if it fails. */
  async startTls(options: ConnectionOptions): Promise<TLSSocket> {
    const plain = this.socket;
    plain.off("data", this.#onData);
    const secure = tlsConnect({ ...options, socket: plain });
    await new Promise<void>((resolve, reject) => {
      secure.once("secureConnect", resolve);
      secure.once("error", reject);
    });
    secure.on("data", this.#onData);
    secure.on("error", () => {});
    this.socket = secure;
    return secure;
  }

  /** Connects and logs in with USER/PASS; throws unless both succeed. */
  static async login(port: number, user: string, password = "secret"): Promise<Pop3Client> {
    const { client } = await Pop3Client.connect(port);
    const u = await client.command(`USER ${user}`);
    const p = await client.command(`PASS ${password}`);
    if (!u.ok || !p.ok) throw new Error(`login failed: ${u.line} / ${p.line}`);
    return client;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Bytes received and not read yet. */
  get unread(): number {
    return this.#end - this.#start;
  }

  #append(chunk: Buffer): void {
    if (this.#end + chunk.length > this.#data.length) {
      const live = this.#end - this.#start;
      const next = Buffer.allocUnsafe(Math.max(this.#data.length, (live + chunk.length) * 2));
      this.#data.copy(next, 0, this.#start, this.#end);
      this.#data = next;
      this.#start = 0;
      this.#end = live;
    }
    chunk.copy(this.#data, this.#end);
    this.#end += chunk.length;
  }

  #view(): Buffer {
    return this.#data.subarray(this.#start, this.#end);
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  async #more(what: string): Promise<void> {
    if (this.#closed) throw new Error(`connection closed while waiting for ${what}; unread: ${this.#view()}`);
    await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /** One status line (or a SASL "+ " continuation, reported as ok). */
  async read(): Promise<Pop3Reply> {
    for (;;) {
      const i = this.#view().indexOf(CRLF);
      if (i !== -1) {
        const line = this.#view().subarray(0, i).toString("latin1");
        this.#start += i + 2;
        return parseStatus(line);
      }
      await this.#more("a status line");
    }
  }

  /** A status line and, if it is +OK, the multi-line body up to ".CRLF". */
  async readMulti(): Promise<Pop3Multi> {
    const status = await this.read();
    if (!status.ok) return { ...status, wire: Buffer.alloc(0), body: Buffer.alloc(0), lines: [] };
    let from = 0;
    for (;;) {
      const view = this.#view();
      if (view.length >= 3 && view[0] === 0x2e && view[1] === 0x0d && view[2] === 0x0a) {
        this.#start += 3;
        return { ...status, wire: Buffer.alloc(0), body: Buffer.alloc(0), lines: [] };
      }
      const i = view.indexOf(END, from);
      if (i !== -1) {
        const wire = Buffer.from(view.subarray(0, i + 1));
        this.#start += i + END.length;
        const body = unstuff(wire);
        return { ...status, wire, body, lines: splitLines(body) };
      }
      from = Math.max(0, view.length - END.length);
      await this.#more("the end of a multi-line response");
    }
  }

  write(data: string | Uint8Array): void {
    this.socket.write(data);
  }

  async command(line: string): Promise<Pop3Reply> {
    this.write(`${line}\r\n`);
    return this.read();
  }

  async multi(line: string): Promise<Pop3Multi> {
    this.write(`${line}\r\n`);
    return this.readMulti();
  }

  /** RETR n; throws on -ERR. */
  async retr(n: number): Promise<Buffer> {
    const r = await this.multi(`RETR ${n}`);
    if (!r.ok) throw new Error(`RETR ${n}: ${r.line}`);
    return r.body;
  }

  /** QUIT and wait for the server to close the connection. */
  async quit(): Promise<Pop3Reply> {
    const r = await this.command("QUIT");
    await this.closed;
    return r;
  }

  /** Drops the connection without QUIT. */
  async drop(): Promise<void> {
    this.socket.destroy();
    await this.closed;
  }
}

function parseStatus(line: string): Pop3Reply {
  if (line.startsWith("+ ") || line === "+") return { ok: true, line, text: line.slice(2), code: undefined };
  const ok = line.startsWith("+OK");
  const text = line.replace(/^(\+OK|-ERR) ?/, "");
  const code = /^\[([^\]]+)\]/.exec(text)?.[1];
  return { ok, line, text, code };
}

/** Undoes dot-stuffing: a line starting with "." lost one (RFC 1939 §3). */
export function unstuff(wire: Buffer): Buffer {
  const parts: Buffer[] = [];
  let read = 0;
  if (wire[0] === 0x2e) read = 1;
  // A line starts after an LF, or after a bare CR (the server stuffs those too: legacy bare CRs).
  for (let i = nextLineDot(wire, read); i !== -1; i = nextLineDot(wire, i + 2)) {
    parts.push(wire.subarray(read, i + 1));
    read = i + 2;
  }
  parts.push(wire.subarray(read));
  return Buffer.concat(parts);
}

/** The offset of the next "\n." or "\r." at or after `from`, or -1. */
function nextLineDot(wire: Buffer, from: number): number {
  const lf = wire.indexOf("\n.", from);
  const cr = wire.indexOf("\r.", from);
  if (lf === -1) return cr;
  if (cr === -1) return lf;
  return Math.min(lf, cr);
}

function splitLines(body: Buffer): string[] {
  const text = body.toString("latin1");
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  return lines;
}
