/**
 * `import { startMailroom } from "mailroom/testing"` (issue 16): starts a Mailroom for a test suite
 * on free ports in a temp dir, in catch mode by default, and hands back a typed REST client, the
 * ports, `waitForMessage` and `stop`. The server is a child process (the compiled binary when
 * MAILROOM_BINARY names it, else `bun src/runtime/bun.ts` of this package) started with
 * `serve --ports=auto`; the ports come from its `{"event":"ready",...}` stdout line.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type MailroomClient as Client,
  MailroomClient,
  type MessageCriteria,
  type MessageView,
} from "./client.ts";

export * from "./client.ts";

export interface MailroomPorts {
  smtp: number | null;
  submission: number | null;
  smtps: number | null;
  pop3: number | null;
  pop3s: number | null;
  imap: number | null;
  imaps: number | null;
  http: number | null;
}

export interface StartMailroomOptions {
  /** Catch mode (any address takes mail, nothing relayed, any password); true by default. */
  catch?: boolean;
  /** Fault injection (PUT /api/v1/chaos); false by default. */
  chaos?: boolean;
  /** Webhooks to loopback receivers (MAILROOM_WEBHOOKS_ALLOW_PRIVATE); true by default. */
  webhooksAllowPrivate?: boolean;
  /** More MAILROOM_* settings. */
  env?: Record<string, string>;
  /** The command to run; by default MAILROOM_BINARY, else this runtime with src/runtime/bun.ts. */
  command?: string[];
  /** Keep the data here (and leave it on stop) instead of a fresh temp dir. */
  dataDir?: string;
  /** How long to wait for the ready line; 30 s by default. */
  startTimeoutMs?: number;
}

export interface Mailroom {
  /** The bound ports on 127.0.0.1; null for a listener that is off. */
  ports: MailroomPorts;
  host: "127.0.0.1";
  /** The admin API's base URL. */
  url: string;
  token: string;
  dataDir: string;
  api: Client;
  /** The first message meeting every criterion, waiting for it server-side (see MailroomClient). */
  waitForMessage(criteria: MessageCriteria, options?: { timeout?: string }): Promise<MessageView>;
  /** What the server printed, for a failing test's message. */
  output(): string;
  /** Stops the server (SIGTERM, then SIGKILL after 10 s) and removes its temp dir. */
  stop(): Promise<void>;
}

/** Kept from the server's output for error messages: the last 64 KiB. */
const OUTPUT_KEPT = 64 * 1024;

export async function startMailroom(options: StartMailroomOptions = {}): Promise<Mailroom> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "mailroom-testing-"));
  const token = randomBytes(24).toString("base64url");
  const command = options.command ?? defaultCommand();
  const child = spawn(command[0]!, [...command.slice(1), "serve", "--ports=auto"], {
    env: {
      ...process.env,
      MAILROOM_DATA_DIR: dataDir,
      MAILROOM_BIND: "127.0.0.1",
      MAILROOM_HTTP_BIND: "127.0.0.1",
      MAILROOM_ADMIN_TOKEN: token,
      MAILROOM_CATCH: String(options.catch ?? true),
      MAILROOM_CHAOS: String(options.chaos ?? false),
      MAILROOM_WEBHOOKS_ALLOW_PRIVATE: String(options.webhooksAllowPrivate ?? true),
      MAILROOM_LOG_LEVEL: "warn",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: string) => {
    output = (output + chunk).slice(-OUTPUT_KEPT);
  };
  child.stderr!.setEncoding("utf8").on("data", keep);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  // A test run that dies must not leave servers behind.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  let ports: MailroomPorts;
  try {
    ports = await readyPorts(child, keep, exited, options.startTimeoutMs ?? 30_000, () => output);
  } catch (error) {
    child.kill("SIGKILL");
    process.off("exit", killOnExit);
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const url = `http://127.0.0.1:${ports.http}`;
  const api = new MailroomClient({ url, token });
  let stopping: Promise<void> | undefined;
  return {
    ports,
    host: "127.0.0.1",
    url,
    token,
    dataDir,
    api,
    waitForMessage: (criteria, opts) => api.waitForMessage(criteria, opts),
    output: () => output,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
          await exited;
          clearTimeout(timer);
        }
        process.off("exit", killOnExit);
        if (ownDir) rmSync(dataDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

function defaultCommand(): string[] {
  const binary = process.env.MAILROOM_BINARY;
  if (binary) return [binary];
  return [process.execPath, fileURLToPath(new URL("../runtime/bun.ts", import.meta.url))];
}

/** Reads stdout lines until `{"event":"ready",...}`; keeps draining it afterwards (logs). */
function readyPorts(
  child: ChildProcess,
  keep: (chunk: string) => void,
  exited: Promise<number | null>,
  timeoutMs: number,
  output: () => string,
): Promise<MailroomPorts> {
  return new Promise((resolve, reject) => {
    let buffer = "";
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      reject(new Error(`mailroom did not become ready within ${timeoutMs} ms:\n${output()}`));
    }, timeoutMs);
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      keep(chunk);
      if (done) return;
      buffer += chunk;
      let nl = buffer.indexOf("\n");
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf("\n");
        if (!line.startsWith('{"event":"ready"')) continue;
        done = true;
        clearTimeout(timer);
        resolve((JSON.parse(line) as { ports: MailroomPorts }).ports);
        return;
      }
    });
    void exited.then((code) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new Error(`mailroom exited with ${code} before it was ready:\n${output()}`));
    });
  });
}
