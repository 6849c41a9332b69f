/**
 * Stock POP3 clients against Mailroom, run as users run them: Python's poplib, curl (LIST and RETR)
 * and fetchmail (see /work/shared/interop). Clients run with async spawn: spawnSync would block this
 * process's event loop, and with it the in-process server the client is talking to.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freshAccount } from "../harness/accounts.ts";
import { mailboxContents, startTestServer, type TestServer } from "../harness/server.ts";
import { deliver, simpleMessage, storedMessages } from "./fixtures.ts";

let server: TestServer;
let port: number;
let dir: string;

beforeAll(async () => {
  server = await startTestServer();
  port = server.ports.pop3!;
  dir = mkdtempSync(join(tmpdir(), "mailroom-pop3-interop-"));
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env });
    const out: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout: Buffer.concat(out), stderr }));
  });
}

async function has(command: string): Promise<boolean> {
  return (await run("sh", ["-c", `command -v ${command}`])).status === 0;
}

const dotty = ".starts with a dot\r\n..two dots\r\n.\r\nend\r\n";

test("Python poplib lists, reads and deletes", async () => {
  const address = await freshAccount(server);
  await deliver(server, address, simpleMessage("first", dotty));
  await deliver(server, address, simpleMessage("second"));
  const stored = await storedMessages(server, address);
  const script = `
import poplib, sys
p = poplib.POP3("127.0.0.1", ${port})
p.user(sys.argv[1]); p.pass_("secret")
count, size = p.stat()
print(count, size)
print(" ".join(u.decode() for u in p.uidl()[1]))
sys.stdout.flush()
lines = p.retr(1)[1]
sys.stdout.buffer.write(b"\\r\\n".join(lines) + b"\\r\\n")
sys.stdout.flush()
p.dele(2)
p.quit()
`;
  const r = await run("python3", ["-c", script, address]);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  const out = r.stdout.toString("latin1");
  const [statLine, uidlLine] = out.split("\n");
  expect(statLine).toBe(`2 ${stored[0]!.length + stored[1]!.length}`);
  expect(uidlLine).toMatch(/^1 \S+ 2 \S+$/);
  // poplib undoes the dot-stuffing: the message comes back exactly.
  const message = out.slice(statLine!.length + uidlLine!.length + 2);
  expect(Buffer.from(message, "latin1").equals(stored[0]!)).toBe(true);
  expect((await mailboxContents(server, address)).length).toBe(1);
});

test("curl pop3:// lists messages (LIST)", async () => {
  const address = await freshAccount(server);
  await deliver(server, address, simpleMessage("one"));
  await deliver(server, address, simpleMessage("two"));
  const sizes = (await storedMessages(server, address)).map((m) => m.length);
  const r = await run("curl", ["-sS", `pop3://127.0.0.1:${port}/`, "-u", `${address}:secret`]);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  expect(r.stdout.toString()).toBe(`1 ${sizes[0]}\r\n2 ${sizes[1]}\r\n`);
});

test("curl pop3://.../1 retrieves the exact message (RETR), logging in with the bare local part", async () => {
  const address = await freshAccount(server);
  await deliver(server, address, simpleMessage("curl me", dotty));
  const [stored] = await storedMessages(server, address);
  const local = address.split("@")[0];
  const r = await run("curl", ["-sS", `pop3://127.0.0.1:${port}/1`, "-u", `${local}:secret`]);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  expect(r.stdout.equals(stored!)).toBe(true);
});

test("fetchmail downloads every message, keeps them, and fetches nothing new the second time", async () => {
  if (!(await has("fetchmail"))) {
    console.warn("fetchmail is not installed (apt-get install -y fetchmail): skipped");
    return;
  }
  const address = await freshAccount(server);
  await deliver(server, address, simpleMessage("fetch one", dotty));
  await deliver(server, address, simpleMessage("fetch two"));
  const home = mkdtempSync(join(dir, "fetchmail-"));
  const mbox = join(home, "fetched.mbox");
  const rc = join(home, "fetchmailrc");
  // As /work/shared/interop/fetchmailrc: keep, an mda writing to a file, no TLS.
  writeFileSync(
    rc,
    `poll 127.0.0.1 protocol pop3 port ${port} user "${address}" password "secret" keep\n` +
      `  mda "/bin/sh -c 'cat >> ${mbox}'" sslproto ''\n`,
  );
  chmodSync(rc, 0o600); // fetchmail refuses a run-control file others can read
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home };
  const first = await run("fetchmail", ["-f", rc, "--nosyslog", "-v"], { cwd: home, env });
  expect(first.status).toBe(0); // 0: mail was retrieved
  const fetched = existsSync(mbox) ? readFileSync(mbox, "latin1") : "";
  expect(fetched).toContain("Subject: fetch one");
  expect(fetched).toContain("Subject: fetch two");
  // fetchmail hands the MDA LF line ends; the dot lines arrive un-stuffed.
  expect(fetched).toContain("\n\n.starts with a dot\n..two dots\n.\nend\n");
  // keep: still on the server, and \Seen for IMAP.
  const left = await mailboxContents(server, address);
  expect(left.length).toBe(2);
  expect(left.every((m) => (m.flags & 1) === 1)).toBe(true);
  // fetchmail remembered the UIDLs: a second poll finds nothing new (exit status 1: no mail).
  const second = await run("fetchmail", ["-f", rc, "--nosyslog", "-v"], { cwd: home, env });
  expect(second.status).toBe(1);
  expect(second.stdout.toString()).toContain("2 seen");
});
