/**
 * A raw IMAP client over a real socket for protocol tests: sends tagged commands and collects the
 * untagged responses up to the tagged status. Response literals ({n}) are read as bytes and kept
 * inline (latin1), so a test can assert exact wire content. Nothing sleeps: reads wait on data.
 */
import { connect, type Socket } from "node:net";
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from "node:tls";
import { constants, createDeflateRaw, createInflateRaw, type DeflateRaw, type InflateRaw } from "node:zlib";

export interface ConnectOptions {
  /** Source address (e.g. 127.0.0.2, which tests treat as a remote client). */
  localAddress?: string;
  /** Implicit TLS (port 993) with these client options (`ca`, `servername`...). */
  tls?: ConnectionOptions;
}

export interface ImapResponse {
  /** "OK", "NO" or "BAD". */
  status: string;
  /** The tagged line without tag and status. */
  text: string;
  /** Untagged responses without the leading "* ", literals inlined. */
  untagged: string[];
}

export class ImapClient {
  #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #waiters: Array<() => void> = [];
  #closed = false;
  #tag = 0;
  /** After compress(): what everything read goes through. */
  #inflate: InflateRaw | undefined;
  /** After compress(): what write() goes through. */
  #deflate: DeflateRaw | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    this.#listen(socket);
  }

  readonly #onData = (chunk: Buffer): void => {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    this.#wake();
  };

  #listen(socket: Socket): void {
    socket.on("data", this.#onData);
    socket.on("close", () => {
      const closed = () => {
        this.#closed = true;
        this.#wake();
      };
      // After COMPRESS the last bytes read may still be in the inflater when the socket closes:
      // what they inflate to is read before "closed" (a BYE lost to this race failed a test one run
      // in five).
      if (this.#inflate) this.#inflate.flush(closed);
      else closed();
    });
    socket.on("error", () => {});
  }

  static async connect(
    port: number,
    host = "127.0.0.1",
    options: ConnectOptions = {},
  ): Promise<{ client: ImapClient; greeting: string }> {
    const tcp = connect({ port, host, localAddress: options.localAddress });
    const socket = options.tls ? tlsConnect({ ...options.tls, socket: tcp }) : tcp;
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls ? "secureConnect" : "connect", resolve);
      socket.once("error", reject);
    });
    const client = new ImapClient(socket);
    return { client, greeting: await client.readResponseLine() };
  }

  /** After a tagged OK to STARTTLS: the TLS handshake over this connection. Rejects if it fails. */
  async startTls(options: ConnectionOptions): Promise<TLSSocket> {
    const plain = this.#socket;
    plain.off("data", this.#onData);
    const secure = tlsConnect({ ...options, socket: plain });
    await new Promise<void>((resolve, reject) => {
      secure.once("secureConnect", resolve);
      secure.once("error", reject);
    });
    this.#socket = secure;
    this.#listen(secure);
    return secure;
  }

  /**
   * Sends COMPRESS DEFLATE and, on OK, deflates everything written from now on (a sync flush per
   * write) and inflates everything read (RFC 4978 §3), as a compressing client would.
   */
  async compress(): Promise<ImapResponse> {
    const r = await this.command("COMPRESS DEFLATE");
    if (r.status !== "OK") return r;
    const socket = this.#socket;
    socket.off("data", this.#onData);
    const inflate = createInflateRaw();
    this.#inflate = inflate;
    inflate.on("data", this.#onData);
    inflate.on("error", () => socket.destroy());
    socket.on("data", (chunk: Buffer) => inflate.write(chunk));
    // Anything that came after the OK in the same read is compressed already.
    const rest = this.#buffer;
    this.#buffer = Buffer.alloc(0);
    if (rest.length > 0) inflate.write(rest);
    this.#deflate = createDeflateRaw();
    this.#deflate.on("data", (chunk: Buffer) => socket.write(chunk));
    return r;
  }

  /** Writes raw bytes into the compressed stream without a flush (to test the server's inflater). */
  writeDeflated(data: Buffer, flush = true): void {
    this.#deflate!.write(data);
    if (flush) this.#deflate!.flush(constants.Z_SYNC_FLUSH);
  }

  /** The socket in use (a TLSSocket after startTls() or with implicit TLS). */
  get socket(): Socket {
    return this.#socket;
  }

  /** Connects and logs in; throws unless LOGIN says OK. */
  static async login(port: number, user: string, password = "secret"): Promise<ImapClient> {
    const { client } = await ImapClient.connect(port);
    const r = await client.command(`LOGIN ${quote(user)} ${quote(password)}`);
    if (r.status !== "OK") throw new Error(`login failed: ${r.text}`);
    return client;
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  async #more(): Promise<void> {
    if (this.#closed)
      throw new Error(`connection closed; unread: ${JSON.stringify(this.#buffer.toString("latin1"))}`);
    await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /** Reads one response line with any literals it announces inlined. */
  async readResponseLine(): Promise<string> {
    let line = "";
    for (;;) {
      const lf = this.#buffer.indexOf("\r\n");
      if (lf === -1) {
        await this.#more();
        continue;
      }
      const part = this.#buffer.toString("latin1", 0, lf);
      this.#buffer = this.#buffer.subarray(lf + 2);
      const literal = /\{(\d+)\}$/.exec(part);
      if (!literal) return line + part;
      const n = Number(literal[1]);
      while (this.#buffer.length < n) await this.#more();
      line += `${part}\r\n${this.#buffer.toString("latin1", 0, n)}`;
      this.#buffer = this.#buffer.subarray(n);
    }
  }

  write(data: string | Buffer): void {
    if (this.#deflate) this.writeDeflated(typeof data === "string" ? Buffer.from(data) : data);
    else this.#socket.write(data);
  }

  nextTag(): string {
    return `A${++this.#tag}`;
  }

  /** Sends `tag command` and reads until the tagged status. */
  async command(text: string | Buffer, tag = this.nextTag()): Promise<ImapResponse> {
    this.write(
      typeof text === "string"
        ? `${tag} ${text}\r\n`
        : Buffer.concat([Buffer.from(`${tag} `), text, Buffer.from("\r\n")]),
    );
    return this.readUntilTagged(tag);
  }

  async readUntilTagged(tag: string): Promise<ImapResponse> {
    const untagged: string[] = [];
    for (;;) {
      const line = await this.readResponseLine();
      if (line.startsWith("* ")) untagged.push(line.slice(2));
      else if (line.startsWith(`${tag} `)) {
        const rest = line.slice(tag.length + 1);
        const space = rest.indexOf(" ");
        return {
          status: space === -1 ? rest : rest.slice(0, space),
          text: space === -1 ? "" : rest.slice(space + 1),
          untagged,
        };
      } else if (!line.startsWith("+")) untagged.push(line);
    }
  }

  /** APPEND with a synchronizing literal: waits for the "+" before sending the message. */
  async append(mailbox: string, message: string | Buffer, extra = ""): Promise<ImapResponse> {
    const bytes = typeof message === "string" ? Buffer.from(message) : message;
    const tag = this.nextTag();
    this.write(`${tag} APPEND ${quote(mailbox)}${extra ? ` ${extra}` : ""} {${bytes.length}}\r\n`);
    const go = await this.readResponseLine();
    if (!go.startsWith("+")) {
      const rest = go.slice(tag.length + 1);
      return { status: rest.split(" ")[0]!, text: rest, untagged: [] };
    }
    this.write(Buffer.concat([bytes, Buffer.from("\r\n")]));
    return this.readUntilTagged(tag);
  }

  async close(): Promise<void> {
    if (!this.#closed) {
      if (this.#deflate) this.#deflate.end(() => this.#socket.end());
      else this.#socket.end();
      await new Promise<void>((resolve) =>
        this.#closed ? resolve() : this.#socket.once("close", () => resolve()),
      );
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Settles once the server has closed the connection and everything it sent has been read in. */
  async whenClosed(): Promise<void> {
    while (!this.#closed) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
}

export function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
