/**
 * The seam between Mailroom and the JavaScript runtime it runs on. Everything Bun- or Deno-specific
 * is behind this interface; the rest of the code uses node: built-ins and web-standard APIs only.
 */
import type { EmbeddedMigrations } from "../store/mod.ts";

/** What an HTTP handler may ask of the server about its own request. */
export interface HttpRequestControl {
  /**
   * Exempts this request from the server's idle timeout: a long poll (wait-for-message) sends
   * nothing until it has an answer, and would otherwise be cut off after the idle timeout.
   */
  keepOpen(request: Request): void;
  /** The client's IP address (the web sign-in counts failed passwords per client, as the protocols do). */
  clientAddress?(request: Request): string | undefined;
}

export interface HttpServer {
  /** The port actually bound (useful when 0 was asked for). */
  port: number;
  stop(): Promise<void>;
}

export interface Runtime {
  name: "bun" | "deno";
  version: string;
  /** The SQL migrations, embedded in the executable where the runtime can do so. */
  migrations: EmbeddedMigrations;
  /** The text of openapi.yaml, served at /openapi.yaml. */
  openapi: string;
  /** Issue 17: the web interface's built bundle (webui/dist/), served at `/`. */
  webui?: { js: string; css: string };
  /**
   * Collects garbage now, where the runtime allows it. Called after a large message was stored and
   * after every few tens of MB written to spool files (MEMORY_LIMITS): Bun otherwise collects the
   * buffers of finished ingests and of socket reads so late that they stack up to hundreds of MB.
   */
  collectGarbage?(): void;
  /**
   * Whether node:tls here serves a certificate with an unknown critical extension, which the
   * TLS-ALPN-01 challenge certificate must carry (RFC 8737 §3: acmeIdentifier, critical). Deno's
   * TLS refuses the handshake ("unsupported protocol"), so ACME falls back to HTTP-01 there.
   * Absent means yes.
   */
  tlsAlpnChallenge?: boolean;
  /**
   * The command line that runs this same program with `args` (a subcommand): the server takes its
   * backups in such a child process (src/backup/child.ts), so the copy never holds its event loop.
   * Absent: backups run in the server process.
   */
  selfCommand?(args: string[]): string[];
  serveHttp(options: {
    hostname: string;
    port: number;
    fetch: (request: Request, control: HttpRequestControl) => Response | Promise<Response>;
    maxRequestBodySize: number;
  }): Promise<HttpServer>;
}
