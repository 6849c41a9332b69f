/**
 * The smtp-server patches (src/smtp/patches.ts) are checked before they are installed: an
 * smtp-server whose private methods or fields moved stops the start with one message naming its
 * version and every mismatch, and nothing is half-installed.
 */
import { describe, expect, test } from "bun:test";
import {
  type ConnectionPatch,
  installedSmtpServer,
  installSmtpPatches,
  type PatchTarget,
  patchMismatches,
  SMTP_PATCHES,
  SmtpServerChanged,
} from "../../src/smtp/patches.ts";

/** A copy of the installed SMTPConnection prototype, doctored by `change`, on its own object. */
function doctored(change: (proto: Record<string, unknown>) => void, source?: string): PatchTarget {
  const real = installedSmtpServer();
  const proto: Record<string, unknown> = {};
  for (const name of Object.getOwnPropertyNames(real.prototype))
    proto[name] = (real.prototype as Record<string, unknown>)[name];
  change(proto);
  return { prototype: proto, source: source ?? real.source, version: "9.9.9" };
}

function failure(patches: readonly ConnectionPatch[], target: PatchTarget): string {
  try {
    installSmtpPatches(patches, target);
  } catch (error) {
    expect(error).toBeInstanceOf(SmtpServerChanged);
    return (error as Error).message;
  }
  throw new Error("installSmtpPatches() did not throw");
}

describe("smtp-server patches", () => {
  test("the installed smtp-server has every method and field the patches rely on", () => {
    expect(patchMismatches(SMTP_PATCHES, installedSmtpServer())).toEqual([]);
  });

  test("a missing method stops the install with the smtp-server version and the method named", () => {
    const target = doctored((proto) => {
      delete proto.handler_AUTH;
    });
    const send = (target.prototype as Record<string, unknown>).send;
    const message = failure(SMTP_PATCHES, target);
    expect(message).toContain("smtp-server 9.9.9");
    expect(message).toContain("SMTPConnection.handler_AUTH() is missing");
    expect(message.split("\n")).toHaveLength(1);
    // Checked before anything is installed: no patch went in, not even those that would fit.
    expect((target.prototype as Record<string, unknown>).send).toBe(send);
  });

  test("a method whose parameters changed stops the install", () => {
    const target = doctored((proto) => {
      proto.send = (_code: number, _data: string) => {};
    });
    expect(failure(SMTP_PATCHES, target)).toContain("SMTPConnection.send() takes 2 parameters, expected 3");
  });

  test("a field a patch reads that smtp-server no longer assigns stops the install", () => {
    const source = installedSmtpServer().source.replaceAll("this._upgrading", "this._upgradingTls");
    const message = failure(
      SMTP_PATCHES,
      doctored(() => {}, source),
    );
    expect(message).toContain("session guard: no field _upgrading");
  });

  test("each patch is installed once, however often the install is asked for", () => {
    const target = doctored(() => {});
    const proto = target.prototype as Record<string, unknown>;
    const original = proto.send;
    installSmtpPatches(SMTP_PATCHES, target);
    const patched = proto.send;
    expect(patched).not.toBe(original);
    installSmtpPatches(SMTP_PATCHES, target);
    expect(proto.send).toBe(patched);
  });
});
