/**
 * NeoMutt (Debian's neomutt package) against the server over a real socket, as a user runs it: a
 * client that uses CONDSTORE and QRESYNC in practice (RFC 7162). NeoMutt 20220429 resynchronises
 * from its header cache with `SELECT ... (CONDSTORE)` and then `UID FETCH 1:n (FLAGS) (CHANGEDSINCE
 * m VANISHED)` (RFC 7162 §3.2.6), not with SELECT's QRESYNC parameter. Three runs: the first fills
 * the cache and flags a message; after another client marks one read, the second takes just that
 * change and keeps its cache; after the other client expunges one, the third reads VANISHED
 * (EARLIER). NeoMutt then re-reads the flags ("QRESYNC failed. Reopening mailbox."): it does the
 * same against Dovecot 2.3.19, whose answer has the same lines, so that is the client's way with
 * VANISHED (EARLIER), not an answer of ours. NeoMutt has no terminal here, so script(1) gives it
 * one; its debug log (level 5) is the record of what it sent and read. Debian builds NeoMutt
 * without zlib, so it has no `imap_deflate`: COMPRESS is covered by interop-compress.test.ts.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freshAccount } from "../harness/accounts.ts";
import { ImapClient } from "../harness/imap-client.ts";
import { hasCommand, run } from "../harness/run.ts";
import { startTestServer, type TestServer } from "../harness/server.ts";

let server: TestServer;
let dir: string;

beforeAll(async () => {
  server = await startTestServer();
  dir = mkdtempSync(join(tmpdir(), "mailroom-neomutt-"));
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs NeoMutt on INBOX with `keys` pushed; returns the protocol lines of its debug log (">" sent,
 * "<" read) and its QRESYNC check's verdict ("!" lines).
 */
async function neomutt(rc: string, keys: string, n: number): Promise<string[]> {
  const log = join(dir, `log${n}`);
  const command = `TERM=xterm neomutt -n -F ${rc} -d 5 -l ${log} -e 'push "${keys}"'`;
  const r = await run("script", ["-qec", command, "/dev/null"], { timeoutMs: 60_000 });
  expect(r.code).toBe(0);
  // NeoMutt numbers its log file (log10) as it keeps older ones.
  const file = readdirSync(dir).find((f) => f.startsWith(`log${n}`))!;
  return readFileSync(join(dir, file), "utf8")
    .split("\n")
    .flatMap((l) => {
      // What NeoMutt sends is logged with its CRLF.
      const line = l.replace(/\r$/, "");
      const m = /mutt_socket_(?:readln|write)_d\(\) \d+([<>]) ?(.*)$/.exec(line);
      if (m) return [`${m[1]} ${m[2]}`];
      const verdict = /imap_verify_qresync\(\) (.*)$/.exec(line);
      return verdict ? [`! ${verdict[1]}`] : [];
    });
}

test("NeoMutt keeps its header cache in step with CONDSTORE and QRESYNC: its STORE, CHANGEDSINCE, VANISHED (EARLIER)", async () => {
  if (!(await hasCommand("neomutt")) || !(await hasCommand("script"))) {
    console.warn("neomutt or script(1) is not installed (apt-get install -y neomutt bsdutils): skipped");
    return;
  }
  const version = (await run("neomutt", ["-v"])).stdout.split("\n")[0];
  const address = await freshAccount(server, { messages: 3 });
  const rc = join(dir, "rc");
  writeFileSync(
    rc,
    [
      `set folder="imap://127.0.0.1:${server.ports.imap}/"`,
      `set imap_user="${address}"`,
      `set imap_pass="secret"`,
      `set spoolfile="+INBOX"`,
      "set imap_condstore=yes",
      "set imap_qresync=yes",
      `set header_cache="${join(dir, "hcache")}"`,
      "set ssl_starttls=no",
      "set ssl_force_tls=no",
      "set mark_old=no",
      "set quit=yes",
    ].join("\n"),
  );

  // Run 1: no cache yet: SELECT with CONDSTORE, every header fetched; flag the first message.
  const first = await neomutt(rc, "<flag-message><sync-mailbox><quit>", 1);
  expect(first).toContain("< * ENABLED QRESYNC");
  expect(first.some((l) => /^> a\d+ SELECT "INBOX" \(CONDSTORE\)$/.test(l))).toBe(true);
  expect(first.some((l) => /^< \* OK \[HIGHESTMODSEQ \d+\]/.test(l))).toBe(true);
  expect(first.some((l) => /^> a\d+ UID STORE 1 \+FLAGS\.SILENT \(\\Flagged\)$/.test(l))).toBe(true);

  // Another client marks message 2 read.
  const other = await ImapClient.login(server.ports.imap!, address);
  await other.command("SELECT INBOX");
  expect((await other.command("UID FETCH 1 (FLAGS)")).untagged).toEqual([
    "1 FETCH (UID 1 FLAGS (\\Flagged))",
  ]);
  expect((await other.command("UID STORE 2 +FLAGS (\\Seen)")).status).toBe("OK");

  // Run 2: just the change since the cached HIGHESTMODSEQ; the cache holds (no headers fetched).
  const second = await neomutt(rc, "<quit>", 2);
  const resync = second.find((l) => /^> a\d+ UID FETCH 1:3 \(FLAGS\) \(CHANGEDSINCE \d+ VANISHED\)$/.test(l));
  expect(resync).toBeDefined();
  expect(second.some((l) => /^< \* 2 FETCH \(UID 2 FLAGS \(\\Seen\) MODSEQ \(\d+\)\)$/.test(l))).toBe(true);
  expect(second.filter((l) => l.startsWith("!"))).toEqual([]);
  expect(second.some((l) => /BODY\.PEEK\[HEADER\.FIELDS/.test(l))).toBe(false);

  // The other client expunges message 3.
  expect((await other.command("UID STORE 3 +FLAGS.SILENT (\\Deleted)")).status).toBe("OK");
  expect((await other.command("UID EXPUNGE 3")).status).toBe("OK");
  await other.close();

  // Run 3: the removal comes as VANISHED (EARLIER), before the FETCH of the changes.
  const third = await neomutt(rc, "<quit>", 3);
  const vanished = third.indexOf("< * VANISHED (EARLIER) 3");
  expect(vanished).toBeGreaterThan(
    third.findIndex((l) => / UID FETCH 1:3 \(FLAGS\) \(CHANGEDSINCE /.test(l)),
  );
  expect(third.some((l) => /BODY\.PEEK\[HEADER\.FIELDS/.test(l))).toBe(false);
  console.info(`${version}: ENABLE QRESYNC, SELECT (CONDSTORE), ${resync!.replace(/^> a\d+ /, "")}`);
}, 120_000);
