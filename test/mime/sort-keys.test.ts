/** The SORT/THREAD keys derived at delivery (RFC 5256 §2.1 base subject, RFC 5957 display values). */
import { describe, expect, test } from "bun:test";
import { parseMessage } from "../../src/mime/mod.ts";
import { baseSubject, messageIds } from "../../src/mime/sort-keys.ts";

describe("baseSubject() (RFC 5256 §2.1)", () => {
  test.each([
    ["Hello", "Hello", false],
    ["Re: Hello", "Hello", true],
    ["RE:  re: Fwd: Hello", "Hello", true],
    ["Re[2]: Hello", "Hello", true],
    ["[list] Re: Hello", "Hello", true],
    ["[list] Hello", "Hello", false],
    ["[only-a-blob]", "[only-a-blob]", false],
    ["Hello (fwd)", "Hello", true],
    ["Hello (fwd) (FWD)  ", "Hello", true],
    ["[Fwd: Re: Hello]", "Hello", true],
    ["  Hello\t  world ", "Hello world", false],
    ["Rebecca: hi", "Rebecca: hi", false],
    ["Fw: Fwd:Re : x", "x", true],
    ["", "", false],
  ])("%p -> %p", (subject, base, isReply) => {
    expect(baseSubject(subject)).toEqual({ base, isReply });
  });
});

describe("messageIds()", () => {
  test("keeps <id@host> tokens in order and drops junk and comments", () => {
    expect(messageIds("<a@x> (comment) junk <b@y>\t<no-at> <c@z>")).toEqual(["<a@x>", "<b@y>", "<c@z>"]);
    expect(messageIds(null)).toEqual([]);
  });
});

describe("parseMessage().sortKeys", () => {
  const parse = (header: string) =>
    parseMessage(Buffer.from(`${header.replace(/\n/g, "\r\n")}\r\n\r\nbody\r\n`)).sortKeys;

  test("subject decoded and casefolded; From/To addr-mailbox; display names (RFC 5957)", () => {
    const k = parse(
      'Subject: =?UTF-8?Q?Re=3A_gr=C3=BC=C3=9Fe?=\nFrom: "Zoe Z" <Bob@Example.com>\nTo: carol@example.com\nCc: Dan <dan@example.com>',
    );
    expect(k.baseSubject).toBe("GRÜSSE".normalize("NFKD"));
    expect(k.isReply).toBe(true);
    expect(k.sortFrom).toBe("BOB");
    expect(k.displayFrom).toBe("ZOE Z");
    expect(k.sortTo).toBe("CAROL");
    expect(k.displayTo).toBe("CAROL@EXAMPLE.COM");
    expect(k.sortCc).toBe("DAN");
  });

  test("References win over In-Reply-To; In-Reply-To's first id stands in; Message-ID kept", () => {
    expect(parse("Message-ID: <m@x>\nReferences: <a@x> <b@x>\nIn-Reply-To: <c@x>").references).toEqual([
      "<a@x>",
      "<b@x>",
    ]);
    const k = parse("Message-ID: <m@x>\nIn-Reply-To: <c@x> <d@x>");
    expect(k.references).toEqual(["<c@x>"]);
    expect(k.messageId).toBe("<m@x>");
  });

  test("a References header of thousands of ids keeps the last 64", () => {
    const ids = Array.from({ length: 5000 }, (_, i) => `<r${i}@x>`);
    const k = parse(`References: ${ids.join(" ")}`);
    expect(k.references.length).toBe(64);
    expect(k.references[63]).toBe("<r4999@x>");
  });
});
