/**
 * Runs Mailroom as a separate process (`bun src/runtime/bun.ts serve`, or a compiled binary), for
 * tests that must kill it (-9) or start it as a user would. Ports are 0; the real ones are read from
 * the "... listening on ..." lines the server prints on start.
 */
import { type ChildProcess, spawn } from "node:child_process";

export interface ChildServer {
  process: ChildProcess;
  smtpPort: number;
  httpPort: number;
  /** Null when POP3 is off (MAILROOM_POP3_PORT=off). */
  pop3Port: number | null;
  imapPort: number;
  /** 0 when the submission listener is off. */
  submissionPort: number;
  /** Null when the implicit-TLS listeners are off (MAILROOM_POP3S_PORT / MAILROOM_IMAPS_PORT=off). */
  pop3sPort: number | null;
  imapsPort: number | null;
  /** Null when SMTPS is off (MAILROOM_SMTPS_PORT=off). */
  smtpsPort: number | null;
  /** Everything the process wrote to stderr so far (startup lines, errors). */
  stderr(): string;
  exited: Promise<number | null>;
}

/**
 * What a child server gets unless the caller says otherwise: loopback only, SMTP and the admin API on
 * free ports, every other listener off. Callers name only what they need, so a new listener added to
 * Mailroom does not have to be switched off in every test and benchmark.
 */
export const CHILD_DEFAULTS: Readonly<Record<string, string>> = {
  MAILROOM_BIND: "127.0.0.1",
  MAILROOM_SMTP_PORT: "0",
  MAILROOM_HTTP_PORT: "0",
  MAILROOM_SUBMISSION_PORT: "off",
  MAILROOM_SMTPS_PORT: "off",
  MAILROOM_POP3_PORT: "off",
  MAILROOM_POP3S_PORT: "off",
  MAILROOM_IMAP_PORT: "off",
  MAILROOM_IMAPS_PORT: "off",
  MAILROOM_PUBLIC_HTTP_PORT: "off",
  MAILROOM_PUBLIC_HTTPS_PORT: "off",
  // Never the machine's resolver (see server.ts): nothing listens on this loopback port.
  MAILROOM_DNS_SERVERS: "127.0.0.1:9",
};

export async function startChildServer(options: {
  command?: string[];
  cwd?: string;
  env: Record<string, string>;
}): Promise<ChildServer> {
  const command = options.command ?? [process.execPath, "src/runtime/bun.ts", "serve"];
  const child = spawn(command[0]!, command.slice(1), {
    cwd: options.cwd ?? process.cwd(),
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      ...CHILD_DEFAULTS,
      ...options.env,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  // A benchmark or test that dies half-way must not leave a server running (and burning CPU) behind.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.off("exit", killOnExit));
  let stderr = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const ports = await new Promise<{
    smtp: number;
    http: number;
    pop3: number | null;
    imap: number;
    submission: number;
    pop3s: number | null;
    imaps: number | null;
    smtps: number | null;
  }>((resolve, reject) => {
    const check = () => {
      const smtp = /^ +smtp +[^\s]+:(\d+)$/m.exec(stderr);
      const http = /^ +admin api +http:\/\/[^\s]+:(\d+)$/m.exec(stderr);
      // POP3 starts before the admin API, so its line (if any) is in by the time the API's is.
      const pop3 = /^ +pop3 +[^\s]+:(\d+)$/m.exec(stderr);
      const imap = /^ +imap +[^\s]+:(\d+)$/m.exec(stderr);
      const submission = /^ +submission +[^\s]+:(\d+)$/m.exec(stderr);
      const pop3s = /^ +pop3s +[^\s]+:(\d+)$/m.exec(stderr);
      const imaps = /^ +imaps +[^\s]+:(\d+)$/m.exec(stderr);
      const smtps = /^ +smtps +[^\s]+:(\d+)$/m.exec(stderr);
      if (smtp && http)
        resolve({
          smtp: Number(smtp[1]),
          http: Number(http[1]),
          pop3: pop3 ? Number(pop3[1]) : null,
          imap: imap ? Number(imap[1]) : 0,
          submission: submission ? Number(submission[1]) : 0,
          pop3s: pop3s ? Number(pop3s[1]) : null,
          imaps: imaps ? Number(imaps[1]) : null,
          smtps: smtps ? Number(smtps[1]) : null,
        });
    };
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => {
      stderr += chunk;
      check();
    });
    exited.then((code) => reject(new Error(`server exited with ${code} before listening: ${stderr}`)));
  });
  return {
    process: child,
    smtpPort: ports.smtp,
    httpPort: ports.http,
    pop3Port: ports.pop3,
    imapPort: ports.imap,
    submissionPort: ports.submission,
    pop3sPort: ports.pop3s,
    imapsPort: ports.imaps,
    smtpsPort: ports.smtps,
    stderr: () => stderr,
    exited,
  };
}
