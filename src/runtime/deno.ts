/**
 * Deno entry point: `deno run -A --node-modules-dir=manual src/runtime/deno.ts serve`.
 * Deno has no stable text imports, so the migrations are read from the folder beside the source.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { css, js } from "../../webui/dist/bundle.ts";
import { main } from "../main.ts";
import type { MigrationJournal } from "../store/migrate.ts";
import type { Runtime } from "./types.ts";

const webui = { js, css };

// biome-ignore lint/suspicious/noExplicitAny: the Deno global is not in this project's type set
declare const Deno: any;

const folder = new URL("../../migrations/", import.meta.url);
const journal = JSON.parse(readFileSync(new URL("meta/_journal.json", folder), "utf8")) as MigrationJournal;
const sql = Object.fromEntries(
  journal.entries.map((e) => [e.tag, readFileSync(new URL(`${e.tag}.sql`, folder), "utf8")]),
);

export const denoRuntime: Runtime = {
  name: "deno",
  version: Deno.version.deno,
  migrations: { journal, sql },
  openapi: readFileSync(new URL("../../openapi.yaml", import.meta.url), "utf8"),
  // Deno 2.9's TLS will not present a certificate with an unknown critical extension (checked with
  // openssl s_client: the RFC 8737 certificate fails, the same one without "critical" works).
  tlsAlpnChallenge: false,
  // The same flags the README gives for running Mailroom on Deno.
  selfCommand: (args) => [
    Deno.execPath(),
    "run",
    "-A",
    "--node-modules-dir=manual",
    fileURLToPath(import.meta.url),
    ...args,
  ],
  webui,
  async serveHttp(options) {
    const server = Deno.serve(
      { hostname: options.hostname, port: options.port, onListen() {} },
      // Deno's server has no idle timeout for a response still being produced: nothing to lift.
      // biome-ignore lint/suspicious/noExplicitAny: Deno's ServeHandlerInfo is not in this project's type set
      (request: Request, info: any) =>
        options.fetch(request, { keepOpen() {}, clientAddress: () => info?.remoteAddr?.hostname }),
    );
    return { port: server.addr.port, stop: () => server.shutdown() };
  },
};

if (import.meta.main) {
  const code = await main(denoRuntime, Deno.args);
  Deno.exit(code);
}
