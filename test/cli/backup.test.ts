/**
 * Backups and restore: an online backup under live SMTP delivery holds every message acknowledged
 * before it started; `mailroom backup` beside a running server; `mailroom restore` into a stopped data
 * dir, refusing a running one and a file that is not a backup; the schedule with its retention.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freshAccount } from "../harness/accounts.ts";
import { eventually } from "../harness/eventually.ts";
import { run } from "../harness/run.ts";
import { startTestServer, type TestServer } from "../harness/server.ts";
import { sendMail } from "../harness/smtp-client.ts";
import { inboxSubjects } from "../harness/subjects.ts";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "mailroom-backup-"));
  dirs.push(dir);
  return dir;
}

function mailroom(args: string[], dataDir: string) {
  return run(process.execPath, [join(process.cwd(), "src/runtime/bun.ts"), ...args], {
    env: { MAILROOM_DATA_DIR: dataDir, MAILROOM_LOG_LEVEL: "error" },
    timeoutMs: 60_000,
  });
}

function subjectsIn(dataDir: string, address: string): Promise<Set<string>> {
  return inboxSubjects(join(dataDir, "mailroom.db"), address);
}

let server: TestServer;
let address: string;

beforeAll(async () => {
  server = await startTestServer();
  address = await freshAccount(server);
});

afterAll(async () => {
  await server.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("online backup", () => {
  test("POST /api/v1/backups under live delivery: the restored copy has every message acknowledged before it started", async () => {
    const acknowledged: string[] = [];
    let stop = false;
    let sent = 0;
    const sender = async (lane: number) => {
      while (!stop) {
        const subject = `live ${lane}-${sent++}`;
        const r = await sendMail(
          server.ports.smtp!,
          "sender@remote.test",
          [address],
          `Subject: ${subject}\r\n\r\nbody\r\n`,
        );
        if (r.code === 250) acknowledged.push(subject);
      }
    };
    const lanes = [1, 2, 3, 4].map(sender);
    await eventually(() => acknowledged.length >= 40, "40 deliveries before the backup");
    const before = [...acknowledged];
    const started = performance.now();
    const response = await server.api("/api/v1/backups", { method: "POST" });
    const elapsed = performance.now() - started;
    expect(response.status).toBe(201);
    const created = (await response.json()) as { name: string; bytes: number; messages: number; ms: number };
    expect(created.name).toMatch(/^mailroom-\d{8}T\d{9}Z\.db$/);
    await eventually(() => acknowledged.length >= before.length + 20, "deliveries go on after the backup");
    stop = true;
    await Promise.all(lanes);
    console.log(
      `backup under load: ${created.bytes} bytes, ${created.messages} messages, ${created.ms} ms (request ${Math.round(elapsed)} ms); ${before.length} acknowledged before, ${acknowledged.length} in all`,
    );

    const list = (await (await server.api("/api/v1/backups")).json()) as { backups: Array<{ name: string }> };
    expect(list.backups.map((b) => b.name)).toContain(created.name);
    const download = await server.api(`/api/v1/backups/${created.name}`);
    expect(download.status).toBe(200);
    const file = join(tempDir(), "downloaded.db");
    writeFileSync(file, Buffer.from(await download.arrayBuffer()));
    expect((await server.api("/api/v1/backups/..%2Fmailroom.db")).status).toBe(404);

    const target = tempDir();
    const restored = await mailroom(["restore", file], target);
    expect(restored.stderr).toBe("");
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain("restored");
    const subjects = await subjectsIn(target, address);
    for (const s of before) expect(subjects.has(s)).toBe(true);
  }, 60_000);

  test("mailroom backup FILE beside a running server writes a verified copy", async () => {
    const file = join(tempDir(), "cli.db");
    const r = await mailroom(["backup", file], server.dataDir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^backup written to .*cli\.db: \d+ bytes, \d+ accounts, \d+ messages, verified, in \d+ ms\n$/,
    );
    expect(existsSync(file)).toBe(true);
    // A backup never overwrites a file.
    const again = await mailroom(["backup", file], server.dataDir);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("exists already");
  });
});

describe("mailroom restore", () => {
  test("refuses to replace the database of a data dir a server is running on", async () => {
    const file = join(tempDir(), "for-restore.db");
    expect((await mailroom(["backup", file], server.dataDir)).code).toBe(0);
    const r = await mailroom(["restore", file], server.dataDir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`is running on ${server.dataDir}`);
  });

  test("refuses a file that is not a Mailroom database, leaving the data dir alone", async () => {
    const bogus = join(tempDir(), "bogus.db");
    writeFileSync(bogus, "not a database at all, just text\n".repeat(100));
    const target = tempDir();
    const r = await mailroom(["restore", bogus], target);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is not a usable backup");
    expect(existsSync(join(target, "mailroom.db"))).toBe(false);
  });

  test("keeps the database it replaces beside it", async () => {
    const file = join(tempDir(), "keep.db");
    expect((await mailroom(["backup", file], server.dataDir)).code).toBe(0);
    const target = tempDir();
    expect((await mailroom(["migrate"], target)).code).toBe(0);
    const r = await mailroom(["restore", file], target);
    expect(r.code).toBe(0);
    expect(readdirSync(target).some((n) => n.startsWith("mailroom.db.before-restore-"))).toBe(true);
  });
});

describe("scheduled backups", () => {
  test("MAILROOM_BACKUP_DIR takes a backup every interval and keeps MAILROOM_BACKUP_KEEP of them", async () => {
    const dir = tempDir();
    const scheduled = await startTestServer({ backupDir: dir, backupKeep: 2, backupInterval: 150 });
    try {
      const names = new Set<string>();
      await eventually(() => {
        for (const n of readdirSync(dir)) if (n.endsWith(".db")) names.add(n);
        return names.size >= 4;
      }, "four scheduled backups");
      await eventually(() => readdirSync(dir).filter((n) => n.endsWith(".db")).length <= 2, "pruned to 2");
    } finally {
      await scheduled.close();
    }
  });
});
