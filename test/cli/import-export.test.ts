/**
 * `mailroom import` and `mailroom export`: 10k messages from a real Dovecot over IMAP (all folders,
 * flags, keywords, INTERNALDATE), resumed after a kill and idempotent on re-run; a Dovecot Maildir
 * tree read directly; mbox and Maildir exports that import back to the same bytes and flags; JSON
 * progress lines without a terminal and a progress bar on one; an import beside a running server.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { embeddedMigrations } from "../../src/runtime/embedded.ts";
import {
  accountCreate,
  accountGet,
  accountPrepare,
  contentRaw,
  domainCreate,
  flagNames,
  mailboxList,
  messagesOfMailbox,
  Store,
} from "../../src/store/mod.ts";
import {
  DOVECOT_AVAILABLE,
  type Dovecot,
  type SeedMessage,
  startDovecot,
  writeMaildir,
} from "../harness/dovecot.ts";
import { eventually } from "../harness/eventually.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { run } from "../harness/run.ts";
import { startTestServer } from "../harness/server.ts";

const COUNT = 10_000;
const BASE_DATE = Date.UTC(2024, 0, 1);
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "mailroom-transfer-"));
  dirs.push(dir);
  return dir;
}

/** The seeded corpus: three folders, flags, keywords and a distinct INTERNALDATE per message. */
function corpus(count: number): SeedMessage[] {
  const out: SeedMessage[] = [];
  for (let i = 1; i <= count; i++) {
    const folder = i % 10 < 6 ? "INBOX" : i % 10 < 9 ? "Archive/2024" : "Sent";
    let letters = "";
    if (i % 3 === 0) letters += "S";
    if (i % 5 === 0) letters += "F";
    if (i % 7 === 0) letters += "R";
    const keywords = i % 11 === 0 ? ["Work"] : i % 13 === 0 ? ["$Label1", "Later"] : [];
    const body = `line of message ${i} ${"x".repeat(60)}\n`.repeat(12);
    const raw = `From: sender${i}@source.test\nTo: user@example.com\nSubject: message ${i}\nMessage-ID: <m${i}@source.test>\n\n${body}`;
    out.push({ folder, raw, letters, keywords, internalDate: BASE_DATE + i * 60_000 });
  }
  return out;
}

/** What a stored message should look like for seed message `m`. */
function expected(m: SeedMessage) {
  const names = new Set<string>();
  if (m.letters?.includes("S")) names.add("\\Seen");
  if (m.letters?.includes("F")) names.add("\\Flagged");
  if (m.letters?.includes("R")) names.add("\\Answered");
  for (const k of m.keywords ?? []) names.add(k);
  return { raw: m.raw.replaceAll("\n", "\r\n"), flags: [...names].sort(), internalDate: m.internalDate };
}

function mailroom(args: string[], dataDir: string, timeoutMs = 300_000) {
  return run(process.execPath, [join(process.cwd(), "src/runtime/bun.ts"), ...args], {
    env: { MAILROOM_DATA_DIR: dataDir, MAILROOM_LOG_LEVEL: "error", MAILROOM_DOMAIN: "example.com" },
    timeoutMs,
  });
}

/** A data dir with one account, user@example.com. */
async function dataDirWithAccount(address = "user@example.com"): Promise<string> {
  const dir = tempDir();
  const store = await Store.open(`file:${join(dir, "mailroom.db")}`, embeddedMigrations);
  const prepared = await accountPrepare({ address, password: "secret" });
  await store.write(async (w) => {
    await domainCreate(w, "example.com", { ifMissing: true });
    await accountCreate(w, prepared);
  });
  await store.close();
  return dir;
}

interface Stored {
  folder: string;
  subject: string;
  raw: string;
  flags: string[];
  internalDate: number;
}

/** Every message of the account by subject, read back through the store. */
async function storedMessages(dataDir: string, address = "user@example.com"): Promise<Map<string, Stored[]>> {
  const store = await Store.open(`file:${join(dataDir, "mailroom.db")}`, embeddedMigrations);
  try {
    const account = await accountGet(store.read, address);
    const out = new Map<string, Stored[]>();
    for (const box of await mailboxList(store.read, account.id)) {
      for (const m of await messagesOfMailbox(store.read, box.id)) {
        const raw = Buffer.from((await contentRaw(store.read, m.contentId))!).toString("latin1");
        const subject = /^Subject: (.*)\r$/m.exec(raw)?.[1] ?? "";
        const list = out.get(subject) ?? [];
        list.push({
          folder: box.name,
          subject,
          raw,
          flags: flagNames(m.flags, m.keywords).sort(),
          internalDate: m.internalDate,
        });
        out.set(subject, list);
      }
    }
    return out;
  } finally {
    await store.close();
  }
}

/** Every seed message is there exactly once, in its folder, with its bytes, flags and date. */
function expectAllThere(stored: Map<string, Stored[]>, seed: readonly SeedMessage[]): void {
  let count = 0;
  for (const list of stored.values()) count += list.length;
  expect(count).toBe(seed.length);
  for (const [i, m] of seed.entries()) {
    const got = stored.get(`message ${i + 1}`);
    expect(got?.length).toBe(1);
    // Every message is counted above; the full comparison runs on a sample to keep the test quick.
    if (i % 37 !== 0 && i % 11 !== 10 && i % 13 !== 12) continue;
    const want = expected(m);
    expect(got![0]!.folder).toBe(m.folder);
    expect(got![0]!.raw).toBe(want.raw);
    expect(got![0]!.flags).toEqual(want.flags);
    expect(got![0]!.internalDate).toBe(want.internalDate);
  }
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!DOVECOT_AVAILABLE)("import from Dovecot over IMAP", () => {
  const seed = corpus(COUNT);
  let dovecot: Dovecot;
  beforeAll(async () => {
    dovecot = await startDovecot({ users: [{ user: "olduser", pass: "oldpass", messages: seed }] });
  }, 120_000);
  afterAll(async () => {
    await dovecot?.stop();
  });

  test("10k messages: a killed import resumes, the finished one is complete, and a re-run adds nothing", async () => {
    const dataDir = await dataDirWithAccount();
    const url = `imap://olduser:oldpass@127.0.0.1:${dovecot.port}`;
    const args = [join(process.cwd(), "src/runtime/bun.ts"), "import", "--account", "user@example.com", url];
    const env = { ...process.env, MAILROOM_DATA_DIR: dataDir, MAILROOM_LOG_LEVEL: "error" };

    // First run: killed once JSON progress shows messages stored.
    const child = spawn(process.execPath, args, { env });
    let err = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      err += d;
    });
    const killedAt = await eventually(
      () => {
        const lines = err.split("\n").filter((l) => l.startsWith("{"));
        const last = lines.length
          ? (JSON.parse(lines[lines.length - 1]!) as { messages: number })
          : undefined;
        return last && last.messages > 0 ? last.messages : undefined;
      },
      () => `progress with stored messages (stderr: ${err.slice(-500)})`,
      { timeoutMs: 120_000 },
    );
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    expect(killedAt).toBeLessThan(COUNT);
    // Not a terminal: every progress line is one JSON object with the figures.
    const first = JSON.parse(err.split("\n").find((l) => l.startsWith("{"))!) as Record<string, unknown>;
    expect(first.event).toBe("import.progress");
    for (const field of ["messages", "total", "bytes", "rate", "etaSeconds"])
      expect(field in first).toBe(true);

    const resumed = await mailroom(["import", "--account", "user@example.com", url], dataDir);
    expect(resumed.code).toBe(0);
    const m = /imported (\d+) messages .* in ([\d.]+) s \((\d+) msg\/s\); (\d+) already there/.exec(
      resumed.stdout,
    );
    expect(m).not.toBeNull();
    const [imported, seconds, rate, already] = [Number(m![1]), m![2], m![3], Number(m![4])];
    expect(imported + already).toBe(COUNT);
    expect(already).toBeGreaterThan(0);
    console.log(
      `IMAP import resumed after a kill at ${killedAt}: ${imported} more in ${seconds} s (${rate} msg/s)`,
    );
    expectAllThere(await storedMessages(dataDir), seed);

    const again = await mailroom(["import", "--account", "user@example.com", url], dataDir);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`imported 0 messages`);
    expect(again.stdout).toContain(`${COUNT} already there`);
  }, 300_000);

  test("a full import of the 10k in one run (the figure for the README)", async () => {
    const dataDir = await dataDirWithAccount();
    const url = `imap://olduser:oldpass@127.0.0.1:${dovecot.port}`;
    const r = await mailroom(["import", "--account", "user@example.com", url], dataDir);
    expect(r.code).toBe(0);
    console.log(r.stdout.trim());
    expect(r.stdout).toContain(`imported ${COUNT} messages`);
  }, 300_000);

  test("a wrong password is one clear line, without the password", async () => {
    const dataDir = await dataDirWithAccount();
    const r = await mailroom(
      ["import", "--account", "user@example.com", `imap://olduser:wrongpw@127.0.0.1:${dovecot.port}`],
      dataDir,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("cannot read imap://olduser:***@");
    expect(r.stderr).not.toContain("wrongpw");
  });
});

describe("Maildir and mbox", () => {
  const seed = corpus(600);

  test("a Dovecot Maildir++ tree imports with folders from the directory names and flags from the file names", async () => {
    const maildir = join(tempDir(), "Maildir");
    writeMaildir(maildir, seed);
    const dataDir = await dataDirWithAccount();
    const r = await mailroom(["import", "--account", "user@example.com", maildir], dataDir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("imported 600 messages");
    expectAllThere(await storedMessages(dataDir), seed);
    const again = await mailroom(["import", "--account", "user@example.com", maildir], dataDir);
    expect(again.stdout).toContain("imported 0 messages");
  }, 120_000);

  test("export to mbox and to Maildir, and back in: the same bytes, folders, flags and dates", async () => {
    const maildir = join(tempDir(), "Maildir");
    writeMaildir(maildir, seed);
    const source = await dataDirWithAccount();
    expect((await mailroom(["import", "--account", "user@example.com", maildir], source)).code).toBe(0);
    for (const format of ["mbox", "maildir"]) {
      const dest = join(tempDir(), format);
      const out = await mailroom(
        ["export", "--account", "user@example.com", "--format", format, dest],
        source,
      );
      expect(out.code).toBe(0);
      expect(out.stdout).toContain("exported 600 messages");
      const target = await dataDirWithAccount();
      if (format === "maildir") {
        expect((await mailroom(["import", "--account", "user@example.com", dest], target)).code).toBe(0);
      } else {
        for (const [file, mailbox] of [
          ["INBOX.mbox", "INBOX"],
          ["Archive/2024.mbox", "Archive/2024"],
          ["Sent.mbox", "Sent"],
        ]) {
          const r = await mailroom(
            ["import", "--account", "user@example.com", "--mailbox", mailbox!, join(dest, file!)],
            target,
          );
          expect(r.code).toBe(0);
        }
      }
      expectAllThere(await storedMessages(target), seed);
    }
  }, 120_000);

  test("an mbox import shows a progress bar with counts, bytes, rate and ETA on a terminal", async () => {
    const file = join(tempDir(), "small.mbox");
    writeFileSync(
      file,
      seed
        .slice(0, 50)
        .map((m) => `From sender@source.test Mon Jan  1 00:00:00 2024\n${m.raw}\n`)
        .join(""),
    );
    const dataDir = await dataDirWithAccount();
    const command = [
      process.execPath,
      join(process.cwd(), "src/runtime/bun.ts"),
      "import",
      "--account",
      "user@example.com",
      file,
    ]
      .map((a) => `'${a}'`)
      .join(" ");
    // script(1) runs the command on a pseudo-terminal, as an operator's shell would.
    const r = spawnSync("script", ["-qec", command, "/dev/null"], {
      env: { ...process.env, MAILROOM_DATA_DIR: dataDir, MAILROOM_LOG_LEVEL: "error" },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\[#+\] {2}50\/50 msgs {2}[\d.]+ MiB {2}\d+ msg\/s {2}ETA 0:00/);
    expect(r.stdout).not.toContain('{"event"');
  }, 60_000);

  test("an import beside a running server: its IMAP sessions see the new messages at the next SELECT", async () => {
    const server = await startTestServer({}, { dataDir: tempDir() });
    try {
      const prepared = await accountPrepare({ address: "live@example.com", password: "secret" });
      await server.store.write((w) => accountCreate(w, prepared));
      const client = await ImapClient.login(server.ports.imap!, "live@example.com");
      expect((await client.command("SELECT INBOX")).untagged).toContain("0 EXISTS");
      await client.command("CLOSE");
      const maildir = join(tempDir(), "Maildir");
      writeMaildir(maildir, seed.filter((m) => m.folder === "INBOX").slice(0, 40));
      const r = await mailroom(["import", "--account", "live@example.com", maildir], server.dataDir);
      expect(r.stderr.split("\n").filter((l) => l && !l.startsWith("{"))).toEqual([]);
      expect(r.code).toBe(0);
      const select = await client.command("SELECT INBOX");
      expect(select.untagged).toContain("40 EXISTS");
      const fetched = await client.command("UID FETCH 1:* (UID)");
      expect(fetched.untagged.length).toBe(40);
      await client.close();
    } finally {
      await server.close();
    }
  }, 60_000);
});
