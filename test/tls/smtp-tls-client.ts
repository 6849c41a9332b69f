/**
 * A raw SMTP client for the TLS tests: like test/harness/smtp-client.ts (one reply per exchange,
 * nothing sleeps), plus a chosen local address (to play a remote client from 127.0.0.2), implicit TLS,
 * and STARTTLS on the open connection.
 */
import { connect, type Socket } from "node:net";
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from "node:tls";

export interface SmtpReply {
  code: number;
  lines: string[];
  text: string;
}

export class SmtpTlsClient {
  socket: Socket | TLSSocket;
  #buffer = "";
  #waiters: Array<() => void> = [];
  #closed = false;
  readonly #onData = (chunk: Buffer) => {
    this.#buffer += chunk.toString("latin1");
    this.#wake();
  };

  private constructor(socket: Socket | TLSSocket) {
    this.socket = socket;
    socket.on("data", this.#onData);
    socket.on("close", this.#onClose);
    socket.on("error", () => {});
  }

  readonly #onClose = () => {
    this.#closed = true;
    this.#wake();
  };

  /** Connects (with TLS first when `tls` is given) and reads the greeting. */
  static async connect(
    port: number,
    options: { localAddress?: string; tls?: ConnectionOptions } = {},
  ): Promise<{ client: SmtpTlsClient; greeting: SmtpReply }> {
    const tcp = connect({ port, host: "127.0.0.1", localAddress: options.localAddress });
    const socket = options.tls ? tlsConnect({ ...options.tls, socket: tcp }) : tcp;
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls ? "secureConnect" : "connect", resolve);
      socket.once("error", reject);
    });
    const client = new SmtpTlsClient(socket);
    return { client, greeting: await client.read() };
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Bytes received and not read yet. */
  get unread(): string {
    return this.#buffer;
  }

  /** Reads one complete reply (all continuation lines up to "NNN "). */
  async read(): Promise<SmtpReply> {
    for (;;) {
      const lines: string[] = [];
      let offset = 0;
      for (;;) {
        const end = this.#buffer.indexOf("\r\n", offset);
        if (end === -1) break;
        const line = this.#buffer.slice(offset, end);
        lines.push(line);
        offset = end + 2;
        if (/^\d{3}( |$)/.test(line)) {
          this.#buffer = this.#buffer.slice(offset);
          return { code: Number(line.slice(0, 3)), lines, text: lines.join("\n") };
        }
      }
      if (this.#closed) throw new Error(`connection closed; unread: ${JSON.stringify(this.#buffer)}`);
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  write(data: string): void {
    this.socket.write(data);
  }

  async command(line: string): Promise<SmtpReply> {
    this.write(`${line}\r\n`);
    return this.read();
  }

  /** EHLO; returns the extension keywords ("AUTH PLAIN LOGIN", "STARTTLS", ...). */
  async ehlo(name = "client.test"): Promise<string[]> {
    const r = await this.command(`EHLO ${name}`);
    if (r.code !== 250) throw new Error(`EHLO failed: ${r.text}`);
    return r.lines.slice(1).map((l) => l.slice(4));
  }

  /** After "220" to STARTTLS: the handshake on this connection. Rejects if it fails. */
  async startTls(options: ConnectionOptions): Promise<TLSSocket> {
    const plain = this.socket;
    plain.off("data", this.#onData);
    const secure = tlsConnect({ ...options, socket: plain });
    await new Promise<void>((resolve, reject) => {
      secure.once("secureConnect", resolve);
      secure.once("error", reject);
    });
    secure.on("data", this.#onData);
    secure.on("close", this.#onClose);
    secure.on("error", () => {});
    this.socket = secure;
    return secure;
  }

  /** Sends a message after DATA (no line of `message` may start with "."). */
  async data(message: string): Promise<SmtpReply> {
    const go = await this.command("DATA");
    if (go.code !== 354) return go;
    this.write(`${message}.\r\n`);
    return this.read();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.socket.end();
    await new Promise<void>((resolve) => (this.#closed ? resolve() : this.socket.once("close", resolve)));
  }
}
