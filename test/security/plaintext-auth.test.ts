/** plaintextAuthAllowed() and inNetwork(): who may send a password without TLS. */
import { describe, expect, test } from "bun:test";
import { inNetwork, LOOPBACK_ONLY, plaintextAuthAllowed } from "../../src/security/plaintext-auth.ts";

describe("inNetwork()", () => {
  test.each([
    ["127.0.0.1", "127.0.0.0/8", true],
    ["127.255.0.9", "127.0.0.0/8", true],
    ["128.0.0.1", "127.0.0.0/8", false],
    ["127.0.0.2", "127.0.0.1/32", false],
    ["127.0.0.1", "127.0.0.1", true],
    ["10.1.2.3", "10.0.0.0/9", true],
    ["10.200.2.3", "10.0.0.0/9", false],
    ["::ffff:127.0.0.1", "127.0.0.0/8", true],
    ["::1", "::1/128", true],
    ["::2", "::1/128", false],
    ["::1", "127.0.0.0/8", false],
    ["127.0.0.1", "::1/128", false],
    ["2001:db8::5", "2001:db8::/32", true],
    ["2001:db9::5", "2001:db8::/32", false],
    ["fe80::1%eth0", "fe80::/10", true],
    ["0.0.0.0", "0.0.0.0/0", true],
    ["not an address", "127.0.0.0/8", false],
    ["127.0.0.1", "127.0.0.0/33", false],
    ["127.0.0.1", "nonsense/8", false],
  ] as const)("inNetwork(%p, %p) is %p", (address, network, expected) => {
    expect(inNetwork(address, network)).toBe(expected);
  });
});

describe("plaintextAuthAllowed()", () => {
  test("TLS always allows it", () => {
    expect(plaintextAuthAllowed(LOOPBACK_ONLY, { secure: true, remoteAddress: "192.0.2.1" })).toBe(true);
  });

  test("without TLS only the loopback addresses 127.0.0.1 and ::1 are trusted by default", () => {
    expect(plaintextAuthAllowed(LOOPBACK_ONLY, { secure: false, remoteAddress: "127.0.0.1" })).toBe(true);
    expect(plaintextAuthAllowed(LOOPBACK_ONLY, { secure: false, remoteAddress: "::ffff:127.0.0.1" })).toBe(
      true,
    );
    expect(plaintextAuthAllowed(LOOPBACK_ONLY, { secure: false, remoteAddress: "127.0.0.2" })).toBe(false);
    expect(plaintextAuthAllowed(LOOPBACK_ONLY, { secure: false, remoteAddress: "::1" })).toBe(true);
    expect(plaintextAuthAllowed(LOOPBACK_ONLY, { secure: false, remoteAddress: "192.0.2.1" })).toBe(false);
    expect(plaintextAuthAllowed(LOOPBACK_ONLY, { secure: false, remoteAddress: undefined })).toBe(false);
  });

  test("the operator's allow wins", () => {
    const policy = { ...LOOPBACK_ONLY, allow: true };
    expect(plaintextAuthAllowed(policy, { secure: false, remoteAddress: "192.0.2.1" })).toBe(true);
  });
});
