/**
 * The data directory holds every password hash and every message: it must not be readable by other
 * local users, whatever the umask the server was started with. A child server started under umask
 * 022 (the usual default) creates the directory 0700 and the database with its -wal and -shm files
 * 0600; an existing directory or database that is looser is reported at start-up.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ChildServer, startChildServer } from "../harness/child-server.ts";

const TOKEN = "permissions-test-token-0123456789";
let child: ChildServer | undefined;
let parent: string | undefined;

afterEach(async () => {
  if (child) {
    child.process.kill("SIGTERM");
    await child.exited;
    child = undefined;
  }
  if (parent) rmSync(parent, { recursive: true, force: true });
  parent = undefined;
});

/** A child server under `umask 022`, as a shell would start it. */
function startUnderUmask022(dataDir: string, env: Record<string, string> = {}): Promise<ChildServer> {
  return startChildServer({
    command: ["/bin/sh", "-c", 'umask 022 && exec "$0" src/runtime/bun.ts serve', process.execPath],
    env: {
      MAILROOM_DATA_DIR: dataDir,
      MAILROOM_HOSTNAME: "mx.test.example",
      MAILROOM_DOMAIN: "example.com",
      MAILROOM_ADMIN_TOKEN: TOKEN,
      ...env,
    },
  });
}

const mode = (path: string) => `0${(statSync(path).mode & 0o777).toString(8)}`;

describe("the data directory under umask 022", () => {
  test("a new data directory is 0700 and mailroom.db, -wal and -shm are 0600", async () => {
    parent = mkdtempSync(join(tmpdir(), "mailroom-perm-"));
    const dataDir = join(parent, "data");
    child = await startUnderUmask022(dataDir, { MAILROOM_ADMIN_TOKEN: "" });
    // A write through the API, so the WAL certainly holds something.
    const res = await fetch(`http://127.0.0.1:${child.httpPort}/api/v1/domains`, {
      method: "POST",
      headers: { authorization: `Bearer ${await tokenOf(dataDir)}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "second.example" }),
    });
    expect(res.status).toBe(201);
    expect({
      dir: mode(dataDir),
      db: mode(join(dataDir, "mailroom.db")),
      wal: mode(join(dataDir, "mailroom.db-wal")),
      shm: mode(join(dataDir, "mailroom.db-shm")),
      token: mode(join(dataDir, "admin-token")),
      tlsDir: mode(join(dataDir, "tls")),
      tlsKey: mode(join(dataDir, "tls", "key.pem")),
    }).toEqual({
      dir: "0700",
      db: "0600",
      wal: "0600",
      shm: "0600",
      token: "0600",
      tlsDir: "0700",
      tlsKey: "0600",
    });
    expect(child.stderr()).not.toContain("readable by other users");
  });

  test("an existing data directory 0755 with mailroom.db 0644 is reported at start-up", async () => {
    parent = mkdtempSync(join(tmpdir(), "mailroom-perm-"));
    const dataDir = join(parent, "data");
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755);
    // An empty file is a new database to SQLite; 0644 as an older Mailroom (or a restore) left it.
    closeSync(openSync(join(dataDir, "mailroom.db"), "w", 0o644));
    chmodSync(join(dataDir, "mailroom.db"), 0o644);
    child = await startUnderUmask022(dataDir);
    const stderr = child.stderr();
    expect(stderr).toContain(`warning: ${dataDir} is readable by other users (mode 0755)`);
    expect(stderr).toContain(
      `warning: ${join(dataDir, "mailroom.db")} is readable by other users (mode 0644)`,
    );
    // The operator's choice is reported, not overridden.
    expect(mode(dataDir)).toBe("0755");
  });
});

async function tokenOf(dataDir: string): Promise<string> {
  return (await Bun.file(join(dataDir, "admin-token")).text()).trim();
}
