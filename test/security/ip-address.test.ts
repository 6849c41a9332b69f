/**
 * ipBytes(), the one IPv6 expansion, through its two users: inNetwork() (trusted networks) and
 * clientAddressKey() (per-/64 limits). node:net's BlockList, which Bun implements, is the oracle.
 */
import { describe, expect, test } from "bun:test";
import { BlockList, isIPv4 } from "node:net";
import fc from "fast-check";
import { clientAddressKey } from "../../src/security/connection-limits.ts";
import { ipBytes } from "../../src/security/ip-address.ts";
import { inNetwork } from "../../src/security/plaintext-auth.ts";

const SEED = { seed: 20_240_601, numRuns: 2000 };
const zeros = (n: number) => Array<number>(n).fill(0);

describe("ipBytes()", () => {
  test.each([
    ["192.0.2.7", [192, 0, 2, 7]],
    ["::1", [...zeros(15), 1]],
    ["::", zeros(16)],
    ["2001:db8::", [0x20, 0x01, 0x0d, 0xb8, ...zeros(12)]],
    ["1:2:3:4:5:6:7:8", [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]],
    ["FE80::1%eth0", [0xfe, 0x80, ...zeros(13), 1]],
    ["::ffff:192.0.2.7", [192, 0, 2, 7]],
    ["::FFFF:c000:207", [192, 0, 2, 7]],
    ["64:ff9b::192.0.2.7", [0, 0x64, 0xff, 0x9b, ...zeros(8), 192, 0, 2, 7]],
    ["not an address", undefined],
    ["", undefined],
    ["1::2::3", undefined],
    ["192.0.2.256", undefined],
  ] as const)("ipBytes(%p) is %p", (address, bytes) => {
    expect(ipBytes(address)).toEqual(bytes === undefined ? undefined : [...bytes]);
  });
});

/** BlockList's answer, with the zone dropped as the server does (Deno's BlockList refuses zones). */
function blockListHas(address: string, base: string, bits: number): boolean {
  const list = new BlockList();
  list.addSubnet(base, bits, isIPv4(base) ? "ipv4" : "ipv6");
  const bare = address.split("%")[0]!;
  return list.check(bare, isIPv4(bare) ? "ipv4" : "ipv6");
}

const address = fc.oneof(fc.ipV4(), fc.ipV6());

describe("inNetwork()", () => {
  test("agrees with node:net BlockList for any address and network", () => {
    fc.assert(
      fc.property(address, fc.ipV4(), fc.integer({ min: 0, max: 32 }), (a, base, bits) => {
        expect(inNetwork(a, `${base}/${bits}`)).toBe(blockListHas(a, base, bits));
      }),
      SEED,
    );
    fc.assert(
      fc.property(address, fc.ipV6(), fc.integer({ min: 0, max: 128 }), (a, base, bits) => {
        // BlockList also matches IPv4 clients against IPv6 networks (as ::ffff:a.b.c.d, so "::/0"
        // holds every IPv4 client); inNetwork() keeps the families apart, so IPv4 is left out here.
        fc.pre(ipBytes(base)!.length === 16 && ipBytes(a)!.length === 16);
        expect(inNetwork(a, `${base}/${bits}`)).toBe(blockListHas(a, base, bits));
      }),
      SEED,
    );
  });

  test("an address inside the network by a shared prefix is found inside, in any notation", () => {
    expect(inNetwork("::ffff:c000:207", "192.0.2.0/24")).toBe(true);
    expect(inNetwork("64:ff9b::192.0.2.7", "64:ff9b::/96")).toBe(true);
    expect(inNetwork("64:ff9b::192.0.2.7", "64:ff9b::c000:200/120")).toBe(true);
  });
});

describe("clientAddressKey()", () => {
  test.each([
    ["::ffff:c000:207", "192.0.2.7"],
    ["FE80::1%eth0", "fe80:0:0:0::/64"],
    ["64:ff9b::192.0.2.7", "64:ff9b:0:0::/64"],
    ["not an address", "not an address"],
  ])("clientAddressKey(%j) is %j", (a, key) => {
    expect(clientAddressKey(a)).toBe(key);
  });

  test("two IPv6 addresses share a key exactly when they share a /64", () => {
    fc.assert(
      fc.property(fc.ipV6(), fc.ipV6(), (a, b) => {
        fc.pre(ipBytes(a)!.length === 16 && ipBytes(b)!.length === 16);
        const key = clientAddressKey(a);
        expect(key === clientAddressKey(b)).toBe(blockListHas(b, key.slice(0, -"/64".length), 64));
        expect(blockListHas(a, key.slice(0, -"/64".length), 64)).toBe(true);
      }),
      SEED,
    );
  });
});
