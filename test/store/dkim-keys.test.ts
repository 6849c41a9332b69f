/**
 * DKIM key rows on a real libSQL file through the real migrator: generations added only when none
 * is active (two racing processes cannot both add), rotation, the state readers see before the
 * retirement timer has run, retirement erasing the private key, and errors that never carry key
 * material into a log.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { embeddedMigrations } from "../../src/runtime/embedded.ts";
import {
  type DkimKeyInput,
  dkimDomainsWithoutKeys,
  dkimKeysActive,
  dkimKeysCreate,
  dkimKeysOfDomain,
  dkimKeysRetireDue,
  dkimKeysRotate,
  dkimNextRetirement,
  domainCreate,
  domainDelete,
  Store,
} from "../../src/store/mod.ts";

let dir: string;
let store: Store;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mailroom-dkim-store-"));
  store = await Store.open(`file:${join(dir, "mailroom.db")}`, embeddedMigrations);
  await store.write(async (w) => {
    await domainCreate(w, "keys.example");
    await domainCreate(w, "bare.example");
  });
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const SECRET = "-----BEGIN PRIVATE KEY-----\nTHIS-IS-KEY-MATERIAL\n-----END PRIVATE KEY-----\n";
const generation = (tag: string): DkimKeyInput[] => [
  { selector: `${tag}r`, algorithm: "rsa-sha256", privateKey: SECRET, publicKey: `rsa-${tag}` },
  { selector: `${tag}e`, algorithm: "ed25519-sha256", privateKey: SECRET, publicKey: `ed-${tag}` },
];

describe("dkim_keys", () => {
  test("dkimKeysCreate() with ifNoneActive adds a generation only to a domain without active keys", async () => {
    expect(await dkimDomainsWithoutKeys(store.read)).toEqual(["bare.example", "keys.example"]);
    expect(
      await store.write((w) => dkimKeysCreate(w, "keys.example", generation("g1"), { ifNoneActive: true })),
    ).toBe(true);
    expect(
      await store.write((w) => dkimKeysCreate(w, "keys.example", generation("g9"), { ifNoneActive: true })),
    ).toBe(false);
    expect((await dkimKeysActive(store.read, "keys.example")).map((k) => k.selector)).toEqual(["g1r", "g1e"]);
    expect(await dkimDomainsWithoutKeys(store.read)).toEqual(["bare.example"]);
  });

  test("dkimKeysRotate() retires the active generation at retireAt; readers see it retired from then on", async () => {
    const retireAt = Date.now() + 60_000;
    await store.write((w) => dkimKeysRotate(w, "keys.example", generation("g2"), { retireAt }));
    const now = await dkimKeysOfDomain(store.read, "keys.example");
    expect(now.map((k) => `${k.selector}:${k.state}`)).toEqual([
      "g1r:retiring",
      "g1e:retiring",
      "g2r:active",
      "g2e:active",
    ]);
    expect(now.every((k) => !("privateKey" in k))).toBe(true);
    expect(await dkimNextRetirement(store.read)).toBe(retireAt);
    // Past retireAt the state is "retired" for readers before anything is written.
    const later = await dkimKeysOfDomain(store.read, "keys.example", { now: retireAt + 1 });
    expect(later.filter((k) => k.state === "retired").map((k) => k.selector)).toEqual(["g1r", "g1e"]);
    // Writing it down erases the private keys.
    expect(await store.write((w) => dkimKeysRetireDue(w, retireAt))).toEqual(["g1r", "g1e"]);
    const rows = await store.execute(
      "SELECT selector, state, private_key FROM dkim_keys WHERE selector LIKE 'g1%'",
    );
    expect(rows.map((r) => [r.selector, r.state, r.private_key])).toEqual([
      ["g1r", "retired", ""],
      ["g1e", "retired", ""],
    ]);
    expect(await dkimNextRetirement(store.read)).toBeNull();
  });

  test("a failed key write reports the failure without the key material drizzle would put in its message", async () => {
    // The same selectors again: the unique index refuses them.
    const error = await store
      .write((w) => dkimKeysCreate(w, "keys.example", generation("g2")))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const seen = JSON.stringify({
      message: (error as Error).message,
      cause: String((error as Error).cause ?? ""),
    });
    expect(seen).toContain("DKIM");
    expect(seen).not.toContain("THIS-IS-KEY-MATERIAL");
    const rotated = await store
      .write((w) => dkimKeysRotate(w, "keys.example", generation("g2"), { retireAt: 0 }))
      .catch((e: unknown) => e);
    expect(String((rotated as Error).message)).not.toContain("THIS-IS-KEY-MATERIAL");
  });

  test("deleting a domain deletes its keys", async () => {
    await store.write((w) => dkimKeysCreate(w, "bare.example", generation("b1")));
    await store.write((w) => domainDelete(w, "bare.example"));
    expect(await store.execute("SELECT selector FROM dkim_keys WHERE selector LIKE 'b1%'")).toEqual([]);
  });
});
