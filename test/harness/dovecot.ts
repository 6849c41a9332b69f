/**
 * A private Dovecot (Debian's dovecot-imapd) on a loopback port, with its own configuration, state
 * and mail in a temp dir: the real IMAP server `mailroom import imap://...` migrates from. Needs
 * root (Dovecot switches to the mail user); tests skip without it. Mail is seeded as Maildir files
 * (Dovecot's own layout) before start, which is how a server being migrated away from has it.
 */
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "./eventually.ts";

export const DOVECOT_AVAILABLE =
  process.getuid?.() === 0 && existsSync("/usr/sbin/dovecot") && spawnSync("id", ["nobody"]).status === 0;

export interface SeedMessage {
  /** "INBOX" or "/"-separated. */
  folder: string;
  /** With LF line ends, as Maildir files usually are. */
  raw: string;
  /** Maildir info letters: S seen, R answered, F flagged, T deleted, D draft. */
  letters?: string;
  keywords?: string[];
  /** Epoch ms: the file's mtime, which Dovecot reports as INTERNALDATE. */
  internalDate: number;
}

export interface Dovecot {
  port: number;
  /** The user's Maildir root (Maildir++: INBOX at the root, ".Archive.2024" for folders). */
  maildir(user: string): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Writes messages into a Maildir++ tree the way Dovecot keeps them, keywords in dovecot-keywords. */
export function writeMaildir(root: string, messages: readonly SeedMessage[]): void {
  const keywordTables = new Map<string, string[]>();
  let n = 0;
  for (const m of messages) {
    const dir = m.folder === "INBOX" ? root : join(root, `.${m.folder.split("/").join(".")}`);
    if (!keywordTables.has(dir)) {
      for (const sub of ["cur", "new", "tmp"]) mkdirSync(join(dir, sub), { recursive: true });
      keywordTables.set(dir, []);
    }
    const table = keywordTables.get(dir)!;
    let letters = m.letters ?? "";
    for (const k of m.keywords ?? []) {
      let i = table.indexOf(k);
      if (i === -1) i = table.push(k) - 1;
      letters += String.fromCharCode(97 + i);
    }
    const seconds = Math.floor(m.internalDate / 1000);
    const name = `${seconds}.M${++n}P1.seed:2,${[...letters].sort().join("")}`;
    const path = join(dir, "cur", name);
    writeFileSync(path, m.raw);
    utimesSync(path, seconds, seconds);
  }
  for (const [dir, table] of keywordTables)
    if (table.length)
      writeFileSync(join(dir, "dovecot-keywords"), table.map((k, i) => `${i} ${k}\n`).join(""));
}

export async function startDovecot(options: {
  users: Array<{ user: string; pass: string; messages?: readonly SeedMessage[] }>;
}): Promise<Dovecot> {
  const dir = mkdtempSync(join(tmpdir(), "mailroom-dovecot-"));
  chmodSync(dir, 0o755);
  const mail = join(dir, "mail");
  mkdirSync(mail, { mode: 0o755 });
  const maildir = (user: string) => join(mail, user, "Maildir");
  for (const u of options.users) {
    mkdirSync(maildir(u.user), { recursive: true });
    writeMaildir(maildir(u.user), u.messages ?? []);
  }
  // Dovecot reads and writes the mail as `nobody`.
  spawnSync("chown", ["-R", "nobody:nogroup", mail]);
  chownSync(mail, 65534, 65534);
  const users = join(dir, "users");
  writeFileSync(users, options.users.map((u) => `${u.user}:{PLAIN}${u.pass}::::::\n`).join(""), {
    mode: 0o644,
  });
  const port = await freePort();
  const config = join(dir, "dovecot.conf");
  writeFileSync(
    config,
    `base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:${mail}/%n/Maildir
mail_uid = nobody
mail_gid = nogroup
first_valid_uid = 65534
last_valid_uid = 65534
namespace inbox {
  inbox = yes
  separator = /
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n ${users}
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=${mail}/%n
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
protocol imap {
  mail_max_userip_connections = 50
}
`,
  );
  mkdirSync(join(dir, "state"));
  const child = spawn("/usr/sbin/dovecot", ["-F", "-c", config], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => {
    output += d;
  });
  child.stderr.on("data", (d) => {
    output += d;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await eventually(
    () =>
      new Promise<boolean>((resolve) => {
        const socket = connect(port, "127.0.0.1");
        socket.once("data", (d) => {
          socket.destroy();
          resolve(String(d).startsWith("* OK"));
        });
        socket.once("error", () => resolve(false));
      }),
    () => `Dovecot listening on ${port} (${output.trim()})`,
  );
  return {
    port,
    maildir,
    async stop() {
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
