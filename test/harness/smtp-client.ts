/**
 * A raw SMTP client over a real socket, one line per exchange, for asserting exact reply codes.
 * Replies are read as whole (possibly multi-line) responses; nothing sleeps, everything waits on data.
 */
import { connect, type Socket } from "node:net";

export interface SmtpResponse {
  code: number;
  lines: string[];
  text: string;
}

export class SmtpClient {
  #socket: Socket;
  #buffer = "";
  #waiters: Array<() => void> = [];
  #closed = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      this.#buffer += chunk;
      this.#wake();
    });
    socket.on("close", () => {
      this.#closed = true;
      this.#wake();
    });
    socket.on("error", () => {});
  }

  /** `localAddress`: the client's own address (127.0.0.x), for tests where the sender's IP matters (SPF). */
  static async connect(
    port: number,
    host = "127.0.0.1",
    options: { localAddress?: string } = {},
  ): Promise<{ client: SmtpClient; greeting: SmtpResponse }> {
    const socket = connect({ port, host, localAddress: options.localAddress });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const client = new SmtpClient(socket);
    return { client, greeting: await client.read() };
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Reads one complete reply (all continuation lines up to "NNN "). */
  async read(): Promise<SmtpResponse> {
    for (;;) {
      const lines: string[] = [];
      let offset = 0;
      for (;;) {
        const end = this.#buffer.indexOf("\r\n", offset);
        if (end === -1) break;
        const line = this.#buffer.slice(offset, end);
        lines.push(line);
        offset = end + 2;
        if (/^\d{3} /.test(line) || /^\d{3}$/.test(line)) {
          this.#buffer = this.#buffer.slice(offset);
          return { code: Number(line.slice(0, 3)), lines, text: lines.join("\n") };
        }
      }
      if (this.#closed) throw new Error(`connection closed; unread: ${JSON.stringify(this.#buffer)}`);
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  write(data: string | Uint8Array): void {
    this.#socket.write(data);
  }

  /** The socket, for tests that pace their writes by its backlog or cut the connection. */
  get socket(): Socket {
    return this.#socket;
  }

  get closed(): boolean {
    return this.#closed;
  }

  async command(line: string): Promise<SmtpResponse> {
    this.write(`${line}\r\n`);
    return this.read();
  }

  /** Sends a whole message after DATA, dot-stuffing lines that start with ".". */
  async data(message: string | Uint8Array): Promise<SmtpResponse> {
    const go = await this.command("DATA");
    if (go.code !== 354) return go;
    const bytes = typeof message === "string" ? Buffer.from(message, "utf8") : Buffer.from(message);
    this.write(dotStuff(bytes));
    this.write(bytes.length === 0 || bytes.at(-1) === 0x0a ? ".\r\n" : "\r\n.\r\n");
    return this.read();
  }

  async close(): Promise<void> {
    if (!this.#closed) {
      this.#socket.end();
      await new Promise<void>((resolve) =>
        this.#closed ? resolve() : this.#socket.once("close", () => resolve()),
      );
    }
  }
}

export function dotStuff(bytes: Uint8Array): Buffer {
  const out: number[] = [];
  let lineStart = true;
  for (const b of bytes) {
    if (lineStart && b === 0x2e) out.push(0x2e);
    out.push(b);
    lineStart = b === 0x0a;
  }
  return Buffer.from(out);
}

/** One whole SMTP transaction; returns the reply to the final step. */
export async function sendMail(
  port: number,
  from: string,
  to: string[],
  message: string | Uint8Array,
): Promise<SmtpResponse> {
  const { client } = await SmtpClient.connect(port);
  try {
    await client.command("EHLO client.test");
    const mail = await client.command(`MAIL FROM:<${from}>`);
    if (mail.code !== 250) return mail;
    for (const rcpt of to) {
      const r = await client.command(`RCPT TO:<${rcpt}>`);
      if (r.code !== 250) return r;
    }
    return await client.data(message);
  } finally {
    await client.command("QUIT").catch(() => undefined);
    await client.close();
  }
}
