/** Bun entry point (also the entry for `bun build --compile`) and the Bun side of the runtime seam. */
import { fileURLToPath } from "node:url";
import { main } from "../main.ts";
import { embeddedMigrations, openapi, webui } from "./embedded.ts";
import type { Runtime } from "./types.ts";

/**
 * This file: inside an executable made by `bun build --compile` a path in Bun's embedded file
 * system (`/$bunfs/...`, `B:/~BUN/...` on Windows), where the executable itself is the program;
 * otherwise the script `bun` runs.
 */
const entry = fileURLToPath(import.meta.url);
const compiled = entry.startsWith("/$bunfs/") || /^[A-Z]:[\\/]~BUN[\\/]/.test(entry);

export const bunRuntime: Runtime = {
  name: "bun",
  version: Bun.version,
  migrations: embeddedMigrations,
  openapi,
  webui,
  collectGarbage: () => Bun.gc(true),
  selfCommand: (args) => (compiled ? [process.execPath, ...args] : [process.execPath, entry, ...args]),
  async serveHttp(options) {
    const server = Bun.serve({
      hostname: options.hostname,
      port: options.port,
      fetch: (request, server) =>
        options.fetch(request, {
          keepOpen: (r) => server.timeout(r, 0),
          clientAddress: (r) => server.requestIP(r)?.address,
        }),
      maxRequestBodySize: options.maxRequestBodySize,
      // Streaming an mbox of a large mailbox can take a while; don't cut it off.
      idleTimeout: 120,
    });
    return {
      port: server.port ?? options.port,
      stop: async () => {
        await server.stop(true);
      },
    };
  },
};

if (import.meta.main) {
  const code = await main(bunRuntime, process.argv.slice(2));
  process.exit(code);
}
