/**
 * Not root, no port settings: the real server, started as an unprivileged user (`setpriv` to
 * nobody, 65534, with a data dir that user owns), binds the unprivileged defaults the README gives
 * (2525/2587/2465, 1110/1995, 1143/1993, the admin API on 8080, public web 8081/8443) and prints the
 * one-line note saying so. The defaults are fixed numbers: when one of them is taken on this
 * machine the test says which and skips. Tests run as root, so this is the one place the
 * non-root path runs for real (the unit tests of config.ts can only pretend).
 */
import { afterAll, expect, test } from "bun:test";
import { type ChildProcess, spawn } from "node:child_process";
import { chownSync, mkdtempSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasCommand } from "../harness/run.ts";

const NOBODY = 65534;
const EXPECTED: Record<string, number> = {
  smtp: 2525,
  submission: 2587,
  smtps: 2465,
  pop3: 1110,
  pop3s: 1995,
  imap: 1143,
  imaps: 1993,
  http: 8080,
  "public-http": 8081,
  "public-https": 8443,
};

let dir: string | undefined;
let child: ChildProcess | undefined;

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Whether 127.0.0.1:port can be bound now (a listener on 0.0.0.0 makes it fail too). */
function free(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

test("as an unprivileged user with no port settings, the server binds 2525/2587/2465/1110/1995/1143/1993 and 8080/8081/8443 and prints the note", async () => {
  if (process.getuid?.() !== 0 || !(await hasCommand("setpriv"))) {
    console.warn("skipped: needs root and setpriv to start the server as nobody");
    return;
  }
  const taken: number[] = [];
  for (const port of Object.values(EXPECTED)) if (!(await free(port))) taken.push(port);
  if (taken.length > 0) {
    console.warn(`skipped: default port(s) ${taken.join(", ")} in use on this machine`);
    return;
  }
  dir = mkdtempSync(join(tmpdir(), "mailroom-nonroot-"));
  chownSync(dir, NOBODY, NOBODY);
  child = spawn(
    "setpriv",
    [
      `--reuid=${NOBODY}`,
      `--regid=${NOBODY}`,
      "--clear-groups",
      process.execPath,
      join(process.cwd(), "src/runtime/bun.ts"),
      "serve",
    ],
    {
      // No MAILROOM_*_PORT at all; loopback only (MAILROOM_BIND is not a port setting).
      env: {
        PATH: process.env.PATH ?? "",
        HOME: dir,
        MAILROOM_DATA_DIR: join(dir, "data"),
        MAILROOM_DOMAIN: "example.com",
        MAILROOM_HOSTNAME: "mx.example.com",
        MAILROOM_BIND: "127.0.0.1",
        MAILROOM_DNS_SERVERS: "127.0.0.1:9",
        MAILROOM_LOG_LEVEL: "error",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  // Issue 16's machine-readable line: the first stdout line whose "event" is "ready".
  const ready = await new Promise<{ pid: number; ports: Record<string, number | null> }>(
    (resolve, reject) => {
      child!.stdout!.on("data", (chunk: Buffer) => {
        stdout += chunk.toString("utf8");
        const line = stdout.split("\n").find((l) => l.includes('"event":"ready"'));
        if (line) resolve(JSON.parse(line));
      });
      child!.once("exit", (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
    },
  );
  expect(stderr).toContain(
    "note: not running as root, so the default ports are unprivileged ones (2525, 2587, 2465, 1110, 1995, 1143, 1993; public web 8081, 8443)",
  );
  for (const [name, port] of Object.entries(EXPECTED)) {
    expect({ name, port: ready.ports[name] }).toEqual({ name, port });
    expect({ name, accepts: await accepts(port) }).toEqual({ name, accepts: true });
  }
  // The startup table names them too, and the admin API answers on 8080.
  expect(stderr).toMatch(/^ +smtp +127\.0\.0\.1:2525$/m);
  expect(stderr).toMatch(/^ +admin api +http:\/\/127\.0\.0\.1:8080$/m);
  expect((await fetch("http://127.0.0.1:8080/healthz")).status).toBe(200);
}, 60_000);
