/**
 * A real rspamd for tests (Debian's `rspamd`, issue 14): started in the foreground as root with a
 * minimal configuration of its own in a temp dir: a controller and a normal worker on free loopback
 * ports, no network checks at all (only the core and one test rule are loaded: no RBL, SURBL, fuzzy,
 * SPF/DKIM/DMARC or map downloads; its resolver points at a loopback port where nothing answers),
 * Bayes per user on sqlite3 (rspamd 3.4 still has that backend, so no redis is needed), GTUBE test
 * patterns on, milter_headers on so replies carry header changes. Nothing of the system's rspamd
 * service is used; `.ci/run` installs the package and keeps its service stopped. A missing rspamd
 * fails the test with a clear message rather than skipping it.
 *
 * The test rule MAILROOM_TEST_SPAM scores 7 ("add header" at 6) for a message containing the word
 * `mailroom-test-spam-word`; the GTUBE variants give the other actions (YJS*... add header, ZJS*...
 * rewrite subject, XJS*... reject).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "./eventually.ts";

export const RSPAMD_PASSWORD = "rspamd-test-password";

/** The word the test rule scores 7 for (rspamd "add header"). */
export const TEST_SPAM_WORD = "mailroom-test-spam-word";

/** GTUBE (rspamd's built-in test patterns): the standard one rejects, its Y/Z variants add header / rewrite subject. */
export const GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";
export const GTUBE_ADD_HEADER = "YJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";
export const GTUBE_REWRITE_SUBJECT = "ZJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

export interface RspamdStats {
  scanned: number;
  learned: number;
  actions: Record<string, number>;
  statfiles: Array<{ symbol: string; revision: number; users: number }>;
}

export interface TestRspamd {
  /** The controller's URL (what MAILROOM_RSPAMD_URL names). */
  url: string;
  /** The normal worker's port (it answers /checkv2 too, without a password). */
  normalPort: number;
  stats(): Promise<RspamdStats>;
  log(): string;
  stop(): Promise<void>;
}

const HOST = "127.0.0.1";

function rspamdBinary(): string {
  for (const dir of (process.env.PATH ?? "").split(":").concat(["/usr/bin", "/usr/sbin"])) {
    const path = join(dir, "rspamd");
    if (dir && existsSync(path)) return path;
  }
  throw new Error("rspamd not found: the spam tests need it (apt-get install rspamd; .ci/run installs it)");
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const RULES = `-- Mailroom's test rule: no network, one word.
rspamd_config.MAILROOM_TEST_SPAM = {
  callback = function(task)
    local content = tostring(task:get_content())
    return content:find("${TEST_SPAM_WORD}", 1, true) ~= nil
  end,
  score = 7.0,
  description = "Mailroom test pattern",
}
-- What the topmost Authentication-Results says (Mailroom's own, put on top before the scan).
rspamd_config.MAILROOM_TEST_AUTH_RESULTS = {
  callback = function(task)
    local field = task:get_header("Authentication-Results")
    if not field then return false end
    return true, 1.0, field
  end,
  score = 0.0,
  description = "Mailroom test: the Authentication-Results rspamd was given",
}
`;

function config(dir: string, normal: number, controller: number): string {
  return `options {
  pidfile = "${dir}/rspamd.pid";
  dns { nameserver = ["127.0.0.1:9"]; timeout = 1s; retransmits = 1; }
  hs_cache_dir = "${dir}";
  disable_hyperscan = true;
  url_tld = "${dir}/tld.dat";
  tempdir = "${dir}";
  local_addrs = [];
  enable_test_patterns = true;
}
logging { type = "console"; level = "notice"; }
worker "normal" { bind_socket = "${HOST}:${normal}"; count = 1; }
worker "controller" {
  bind_socket = "${HOST}:${controller}";
  count = 1;
  password = "${RSPAMD_PASSWORD}";
  enable_password = "${RSPAMD_PASSWORD}";
  secure_ip = [];
}
classifier "bayes" {
  backend = "sqlite3";
  tokenizer { name = "osb"; }
  min_tokens = 11;
  min_learns = 1;
  per_user = true;
  # The learn cache (digests of what was learned) too, not /var/lib/rspamd's, shared by every run.
  cache { name = "sqlite3"; type = "sqlite3"; path = "${dir}/learn_cache.sqlite"; file = "${dir}/learn_cache.sqlite"; }
  statfile { symbol = "BAYES_HAM"; spam = false; path = "${dir}/bayes_ham.sqlite"; }
  statfile { symbol = "BAYES_SPAM"; spam = true; path = "${dir}/bayes_spam.sqlite"; }
}
actions { reject = 15; add_header = 6; greylist = 4; }
milter_headers { use = ["x-spamd-result", "x-spam-level"]; skip_local = false; skip_authenticated = false; }
modules { path = "/usr/share/rspamd/plugins/milter_headers.lua"; }
lua = "${dir}/rules.lua";
`;
}

export async function startRspamd(): Promise<TestRspamd> {
  const binary = rspamdBinary();
  const dir = mkdtempSync(join(tmpdir(), "mailroom-rspamd-"));
  const [normal, controller] = [await freePort(), await freePort()];
  // A short public-suffix list: the full one takes rspamd seconds to compile at every start.
  writeFileSync(join(dir, "tld.dat"), "com\norg\nnet\nexample\ntest\ninvalid\n");
  writeFileSync(join(dir, "rules.lua"), RULES);
  const path = join(dir, "rspamd.conf");
  writeFileSync(path, config(dir, normal, controller));
  const child: ChildProcess = spawn(binary, ["-f", "-u", "root", "-g", "root", "-c", path], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const keep = (d: string) => {
    log += d;
    if (log.length > 1_000_000) log = log.slice(-500_000);
  };
  child.stdout!.setEncoding("utf8").on("data", keep);
  child.stderr!.setEncoding("utf8").on("data", keep);
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      resolve();
    }),
  );
  const url = `http://${HOST}:${controller}`;
  const stats = async (): Promise<RspamdStats> => {
    const res = await fetch(`${url}/stat`, { headers: { Password: RSPAMD_PASSWORD } });
    if (res.status !== 200) throw new Error(`rspamd /stat answered ${res.status}`);
    return (await res.json()) as RspamdStats;
  };
  const stop = async () => {
    if (!exited) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exit;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Ready when the controller answers; rspamd says nothing on stdout that marks it.
    await eventually(
      async () => {
        if (exited) throw new Error(`rspamd exited:\n${log}`);
        return stats().then(
          () => true,
          () => false,
        );
      },
      () => `rspamd to answer on ${url}:\n${log.slice(-2000)}`,
      { timeoutMs: 60_000, intervalMs: 100 },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, normalPort: normal, stats, log: () => log, stop };
}
