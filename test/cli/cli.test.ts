/** The command line as a user meets it: help, version, invalid settings, busy or privileged ports. */
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, parseArgs } from "../../src/config.ts";

function run(args: string[], env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "mailroom-cli-"));
  try {
    const r = spawnSync(process.execPath, [join(process.cwd(), "src/runtime/bun.ts"), ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", MAILROOM_DATA_DIR: join(dir, "data"), ...env },
      encoding: "utf8",
      timeout: 30_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("mailroom CLI", () => {
  test("--help lists the subcommands, every flag and every MAILROOM_ variable", () => {
    const r = run(["--help"]);
    expect(r.code).toBe(0);
    for (const word of [
      "serve",
      "migrate",
      "version",
      "--data-dir",
      "MAILROOM_DATA_DIR",
      "--database-url",
      "MAILROOM_DATABASE_URL",
      "--hostname",
      "--domain",
      "--bind",
      "--smtp-port",
      "--pop3-port",
      "--imap-port",
      "--http-bind",
      "--http-port",
      "--admin-token",
      "--max-message-size",
      "MAILROOM_MAX_MESSAGE_SIZE",
    ]) {
      expect(r.stdout).toContain(word);
    }
  });

  test("version prints the version", () => {
    const r = run(["version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^mailroom \d+\.\d+\.\d+ \(bun /);
  });

  test("an invalid setting exits non-zero with one line naming it", () => {
    const r = run(["serve"], { MAILROOM_SMTP_PORT: "seventy" });
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("MAILROOM_SMTP_PORT");
  });

  test("a flag wins over the environment and is named when invalid", () => {
    const r = run(["serve", "--http-port", "99999"], { MAILROOM_HTTP_PORT: "8080" });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("--http-port");
  });

  test("migrate creates and migrates the database, then reports it is up to date", () => {
    const dir = mkdtempSync(join(tmpdir(), "mailroom-migrate-"));
    try {
      const env = { PATH: process.env.PATH ?? "", MAILROOM_DATA_DIR: dir };
      const first = spawnSync(process.execPath, ["src/runtime/bun.ts", "migrate"], { env, encoding: "utf8" });
      expect(first.status).toBe(0);
      expect(first.stdout).toContain("0000_init");
      const second = spawnSync(process.execPath, ["src/runtime/bun.ts", "migrate"], {
        env,
        encoding: "utf8",
      });
      expect(second.stdout).toContain("up to date");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a port already in use gives one line naming the setting to change", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = run(["serve"], {
        MAILROOM_BIND: "127.0.0.1",
        MAILROOM_SMTP_PORT: String(port),
        MAILROOM_HTTP_PORT: "0",
        MAILROOM_POP3_PORT: "off",
        MAILROOM_IMAP_PORT: "off",
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("--smtp-port / MAILROOM_SMTP_PORT");
      expect(r.stderr).not.toContain("    at ");
    } finally {
      blocker.close();
    }
  });

  test("a privileged port without the right names the setting to change", () => {
    if (process.getuid?.() !== 0 || spawnSync("which", ["runuser"]).status !== 0) return;
    const dir = mkdtempSync(join(tmpdir(), "mailroom-priv-"));
    try {
      spawnSync("chmod", ["777", dir]);
      const r = spawnSync(
        "runuser",
        ["-u", "nobody", "--", process.execPath, join(process.cwd(), "src/runtime/bun.ts"), "serve"],
        {
          cwd: dir,
          env: {
            PATH: process.env.PATH ?? "",
            MAILROOM_DATA_DIR: join(dir, "data"),
            MAILROOM_SMTP_PORT: "25",
            MAILROOM_HTTP_PORT: "0",
            MAILROOM_BIND: "127.0.0.1",
          },
          encoding: "utf8",
          timeout: 30_000,
        },
      );
      if (
        /EACCES.*bun|cannot execute|Permission denied.*bun/i.test(r.stderr) &&
        !r.stderr.includes("mailroom:")
      )
        return; // bun itself not reachable for nobody
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("--smtp-port / MAILROOM_SMTP_PORT");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("loadConfig()", () => {
  test("loadConfig() applies the documented defaults", () => {
    const c = loadConfig(new Map(), { MAILROOM_HOSTNAME: "mx.example.org" });
    expect(c.dataDir).toBe("./data");
    expect(c.databaseUrl).toBe("file:data/mailroom.db");
    expect(c.domain).toBe("mx.example.org");
    expect(c.bind).toBe("0.0.0.0");
    expect([c.smtpPort, c.pop3Port, c.imapPort, c.httpPort]).toEqual([25, 110, 143, 8080]);
    expect(c.httpBind).toBe("127.0.0.1");
    expect(c.maxMessageSize).toBe(26214400);
    expect(c.adminToken).toBeUndefined();
  });

  test("loadConfig() turns a port of off into a disabled listener", () => {
    expect(loadConfig(parseArgs(["--pop3-port", "off"]).flags, {}).pop3Port).toBeNull();
  });

  test("parseArgs() rejects an unknown flag", () => {
    expect(() => parseArgs(["--smtp-prot", "25"])).toThrow("unknown flag --smtp-prot");
  });

  test("parseArgs() reads the subcommand, --flag value and --flag=value", () => {
    const { command, flags } = parseArgs(["migrate", "--data-dir", "/srv/mail", "--smtp-port=2525"]);
    expect(command).toBe("migrate");
    expect([...flags]).toEqual([
      ["--data-dir", "/srv/mail"],
      ["--smtp-port", "2525"],
    ]);
    expect(parseArgs(["-h"]).command).toBe("help");
    expect(parseArgs(["--version"]).command).toBe("version");
    expect(parseArgs([]).command).toBe("serve");
  });

  test("parseArgs() names the flag or argument in one line when the command line is wrong", () => {
    expect(() => parseArgs(["--data-dir"])).toThrow("--data-dir needs a value");
    expect(() => parseArgs(["-x"])).toThrow("unknown flag -x");
    expect(() => parseArgs(["--help=yes"])).toThrow("--help takes no value");
    expect(() => parseArgs(["serve", "now"])).toThrow('unexpected argument "now"');
    expect(() => parseArgs(["start"])).toThrow('unknown command "start"');
  });
});

describe("default ports", () => {
  test("loadConfig() gives the unprivileged default ports (2525 ... 8443) to a user that is not root, and unprivilegedDefaults() lists them", async () => {
    const { unprivilegedDefaults } = await import("../../src/config.ts");
    const real = process.getuid;
    process.getuid = () => 1000;
    try {
      const config = loadConfig(new Map(), { MAILROOM_IMAP_PORT: "143" });
      expect([config.smtpPort, config.submissionPort, config.smtpsPort]).toEqual([2525, 2587, 2465]);
      expect([config.pop3Port, config.pop3sPort, config.imapsPort]).toEqual([1110, 1995, 1993]);
      expect([config.publicHttpPort, config.publicHttpsPort, config.httpPort]).toEqual([8081, 8443, 8080]);
      expect(config.imapPort).toBe(143);
      const moved = unprivilegedDefaults(new Map(), { MAILROOM_IMAP_PORT: "143" });
      expect(moved).toContain("MAILROOM_SMTP_PORT");
      expect(moved).not.toContain("MAILROOM_IMAP_PORT");
    } finally {
      process.getuid = real;
    }
    if (process.getuid?.() === 0) expect(loadConfig(new Map(), {}).smtpPort).toBe(25);
  });

  test("listenersTable() prints one row per listener and where the admin token is", async () => {
    const { listenersTable } = await import("../../src/startup.ts");
    const text = listenersTable(
      [
        ["smtp", "0.0.0.0:2525"],
        ["admin api", "http://127.0.0.1:8080"],
      ],
      "/srv/data/admin-token",
    );
    expect(text).toBe(
      "  listener   address\n  smtp       0.0.0.0:2525\n  admin api  http://127.0.0.1:8080\nadmin token: /srv/data/admin-token\n",
    );
  });
});
